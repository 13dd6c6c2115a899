#!/usr/bin/env python3
"""LeNet-5 in PyTorch, the same layers and names as examples/lenet5.mdl, and safetensors files
read and written with the standard library (Debian's python3-torch has no safetensors module).

    lenet_torch.py save SEED OUT.safetensors        # a seeded PyTorch initialisation
    lenet_torch.py logits WEIGHTS INPUTS OUTPUTS     # load_state_dict(strict=True), then logits

INPUTS: float32 little-endian values [N, 1, 28, 28]; OUTPUTS: the logits [N, 10], float32.
"""
import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
          "I32": torch.int32, "I64": torch.int64}


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = torch.flatten(h, 1)
        h = F.relu(self.fc1(h))
        h = F.relu(self.fc2(h))
        return self.fc3(h)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        start, end = e["data_offsets"]
        raw = bytearray(data[8 + n + start:8 + n + end])
        out[name] = torch.frombuffer(raw, dtype=DTYPES[e["dtype"]]).reshape(e["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().to(torch.float32)
        raw = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    torch.set_num_threads(1)
    if sys.argv[1] == "save":
        torch.manual_seed(int(sys.argv[2]))
        write_safetensors(sys.argv[3], LeNet5().state_dict())
    elif sys.argv[1] == "logits":
        model = LeNet5()
        model.load_state_dict(read_safetensors(sys.argv[2]), strict=True)
        model.eval()
        with open(sys.argv[3], "rb") as f:
            x = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(-1, 1, 28, 28)
        with torch.no_grad():
            y = model(x)
        with open(sys.argv[4], "wb") as f:
            f.write(y.numpy().astype("<f4").tobytes())
    else:
        raise SystemExit(f"unknown mode {sys.argv[1]}")


if __name__ == "__main__":
    main()
