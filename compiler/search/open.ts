// Opening a search: the file's `search` section (the one named, or its only one; none when the
// flags say everything), its settings with the command line's laid over them, checked into a
// SearchSpec, and the space it runs over prepared as `mdl score` prepares one.
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { Elaborator, type SectionVocabularies } from '../elaborate/elaborate.js';
import { loadProgram, type SourceHost } from '../modules/loader.js';
import type { SourceFile } from '../source.js';
import { spaceOf, type OpenSpace } from '../space/space.js';
import { searchSpec, sectionSettings, type SearchSpec, type Setting } from './spec.js';

export interface OpenedSearch {
  readonly spec: SearchSpec;
  readonly space: OpenSpace;
}

export interface OpenSearchResult {
  readonly opened: OpenedSearch | undefined;
  readonly diagnostics: readonly Diagnostic[];
  readonly sources: ReadonlyMap<string, SourceFile>;
}

export function openSearch(
  src: SourceFile,
  host: SourceHost,
  vocabularies: SectionVocabularies,
  opts: { readonly search?: string; readonly flags?: ReadonlyMap<string, Setting> } = {},
): OpenSearchResult {
  const program = loadProgram(src, host);
  const elab = new Elaborator(program, vocabularies);
  const done = (opened: OpenedSearch | undefined, extra: readonly Diagnostic[] = []): OpenSearchResult => ({
    opened,
    diagnostics: [...elab.diagnostics.items, ...extra],
    sources: program.sources,
  });
  if (program.diagnostics.length > 0 || !elab.entry) return done(undefined);
  const sections = elab.sections('search');
  const names = sections.map((d) => d.name);
  let def = opts.search === undefined ? undefined : sections.find((d) => d.name === opts.search);
  if (opts.search !== undefined && !def)
    return done(undefined, [
      diag('MDL2005', `${src.path} has no search section \`${opts.search}\``, undefined, {
        hint: didYouMean(opts.search, names) ?? `its search sections: ${names.join(', ') || 'none'}`,
      }),
    ]);
  if (!def && sections.length === 1) def = sections[0];
  if (!def && sections.length > 1)
    return done(undefined, [
      diag('MDL2005', `${src.path} has several search sections; choose one with --search`, undefined, {
        hint: `its search sections: ${names.join(', ')}`,
      }),
    ]);
  const settings = new Map<string, Setting>();
  if (def) {
    const section = elab.evaluateSection(def);
    if (!section) return done(undefined);
    for (const [k, s] of sectionSettings(section)) settings.set(k, s);
  }
  for (const [k, s] of opts.flags ?? []) settings.set(k, s);
  const r = searchSpec(def?.name ?? 'cli', settings, def?.nameSpan, new Set(opts.flags?.keys() ?? []));
  if (!r.spec) return done(undefined, r.diagnostics);
  const spaces = elab.spaces();
  const named = settings.get('candidates')?.v;
  if (named?.t === 'def' && !spaces.includes(named.def))
    return done(undefined, [
      diag(
        'MDL2005',
        `space \`${named.def.name}\` is defined in ${named.module.path}, not in ${src.path}`,
        settings.get('candidates')!.span,
        {
          hint: `a search runs over a space of its own file: put the search section in ${named.module.path}, or run \`mdl search ${named.module.path}\` with flags`,
        },
      ),
    ]);
  const spaceNames = spaces.map((d) => d.name);
  const want = r.spec.space;
  const spaceDef =
    want === undefined ? (spaces.length === 1 ? spaces[0] : undefined) : spaces.find((d) => d.name === want);
  if (!spaceDef) {
    const d =
      want !== undefined
        ? diag('MDL2005', `${src.path} has no space \`${want}\``, def?.nameSpan, {
            hint: didYouMean(want, spaceNames) ?? `its spaces: ${spaceNames.join(', ') || 'none'}`,
          })
        : spaces.length === 0
          ? diag('MDL2006', `${src.path} defines no space to search`, undefined, {
              hint: 'declare one with `space NAME { model = net(arg=choice([…])) }`',
            })
          : diag(
              'MDL2005',
              `${src.path} defines several spaces; name one with \`candidates = NAME\` or --space`,
              def?.nameSpan,
              {
                hint: `its spaces: ${spaceNames.join(', ')}`,
              },
            );
    return done(undefined, [d]);
  }
  if (elab.diagnostics.hasErrors) return done(undefined);
  const sp = spaceOf(elab, spaceDef, program.sources);
  if (!sp.space) return done(undefined, sp.diagnostics);
  return done({ spec: r.spec, space: sp.space }, sp.diagnostics);
}
