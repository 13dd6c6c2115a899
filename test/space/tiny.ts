// A small CNN with batchnorm, a residual add, pooling and a 1×1 conv: the network the
// data-dependent proxy tests measure (each proxy meets every kind of layer it treats apart).
export const TINY = `
model tiny(x: Tensor[B, 3, 12, 12]) {
  h = conv2d(x, 6, 3, padding=1, bias=false) as "c1"
  h = relu(batchnorm2d(h) as "bn1")
  r = h
  h = conv2d(h, 6, 3, padding=1) as "c2"
  h = relu(batchnorm2d(h) as "bn2" + r)
  h = avgpool2d(h, 2) as "p"
  h = flatten(global_avgpool(conv2d(h, 8, 1) as "c3"))
  return linear(h, 10) as "fc"
}`;
