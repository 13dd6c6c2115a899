// Layer-name globs, as `freeze` patterns and `backward` rules write them: `*` is any run of
// characters within one dotted part, `**` crosses parts, `?` is one character; a glob that
// names a block (`layer4`) selects every layer inside it (a dotted prefix matches).
/** Whether a layer-name glob (as a RegExp) matches a layer's name or a dotted prefix of it. */
export function matchesLayer(re: RegExp, layer: string): boolean {
  const parts = layer.split('.');
  return parts.some((_, i) => re.test(parts.slice(0, i + 1).join('.')));
}

/** A layer-name glob as an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^.]*';
    else if (c === '?') re += '[^.]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}
