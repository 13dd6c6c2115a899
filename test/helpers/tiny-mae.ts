// The smallest masked autoencoder the unlearning tests train: four 4×4 patches of an 8×8 image,
// two kept; an encoder of a linear layer and a layer norm, a one-layer decoder.
export const TINY_MAE = `import "std/mae"

model tiny(x: Tensor[B, 1, 8, 8]) {
  t = transpose(flatten(conv2d(x, 8, 4, stride=4) as "embed", 2), 1, 2)
  kept, mask, restore = random_masking(t, 2) as "masking"
  h = layernorm(relu(linear(kept, 8) as "enc"), eps=1e-6) as "norm"
  full = gather(concat([h, expand(param([1, 1, 8], init="normal", std=0.02) as "mask_token", [B, 2, -1])], axis=1), restore)
  pred = linear(full, 16) as "dec"
  diff = pred - patchify(x, 4)
  loss = sum(mean(diff * diff, [2]) * mask, [0, 1]) / sum(mask, [0, 1])
  return loss, pred, mask
}
`;
