"""Second training stage: the linear-Gaussian gate, on the frozen features of a trained TabSCM model.

    python -m methods.tabscm.gate --checkpoint CKPT --config methods/tabscm/configs/tabscm.yaml [--out DIR]

(``make train MODEL=tabscm`` runs it after the first stage, on the checkpoint that stage wrote.)

Soft targets (0.5 both ways where no data orient an edge) are a small share of the training edges,
and the cues that orient edges elsewhere (the graph prior, sortability) pay on every other
dataset, so the edge head keeps orienting edges that linear-Gaussian data cannot orient. The gate
asks the question the theory needs instead: are these data linear-Gaussian (every node linear,
homoscedastic Gaussian noise)? There the graph is identifiable only up to its (I-)essential graph,
so at inference (``method.fit``) the predicted DAG is replaced by its essential graph and a pair it
leaves undirected gets the mean of its two scores both ways. One logit per dataset from the pooled
pair grid, trained by BCE with everything else frozen, on data from the training stream that
continue after the seeds the first stage used.
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

from .distribution import TRAIN_BASE
from .train import code_version, forward, load_config, make_batch, save_checkpoint, validation_set

GATE_FIELDS = ["step", "wall_s", "loss", "val_gate_auroc", "val_gate_accuracy", "val_orient_compelled",
               "val_orient_unidentifiable"]


def evaluate_gate(model, val, cfg) -> dict:
    """On the fixed validation set: the gate's AUROC and accuracy (linear-Gaussian or not), and the
    orientation of compelled and unidentifiable true edges under the inference rule."""
    import torch
    from sklearn.metrics import roc_auc_score

    from .infer import decide

    flags, probs, right = [], [], {"compelled": [], "unidentifiable": []}
    with torch.no_grad():
        for X, M, T, A, lg in val:
            logits, g = forward(model, torch.from_numpy(X)[None], torch.from_numpy(M)[None], cfg, with_gate=True)
            P, q = torch.sigmoid(logits[0]).double().numpy(), float(torch.sigmoid(g[0]))
            np.fill_diagonal(P, 0.0)
            P, _, _ = decide(P, q, M, cfg)
            ok = (P > P.T) + 0.5 * (P == P.T)
            right["compelled"] += ok[(A > 0) & (T == 1)].tolist()
            right["unidentifiable"] += ok[(A > 0) & (T == 0.5)].tolist()
            flags.append(lg), probs.append(q)
    y, s = np.array(flags), np.array(probs)
    return {"val_gate_auroc": float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan"),
            "val_gate_accuracy": float(((s > 0.5) == (y > 0.5)).mean()),
            **{f"val_orient_{k}": float(np.mean(v)) if v else float("nan") for k, v in right.items()}}


def train_gate(cfg: dict, checkpoint: Path, out: Path, time_limit_min: float, lr: float = 1e-3,
               val_every: int = 100, steps: int | None = None) -> dict:
    """Add a gate to ``checkpoint``'s model, train it alone (until the time limit, or ``steps``),
    write ``<out>/<name>.pt`` and ``<out>/<name>_gate_log.csv``."""
    import torch

    from .model import build_model

    torch.set_num_threads(int(cfg["train"].get("threads", 1)))
    torch.manual_seed(int(cfg["train"].get("seed", 0)))
    ck = torch.load(checkpoint, map_location="cpu", weights_only=True)
    cfg = dict(ck["config"], model={**ck["config"]["model"], "gate": True})
    model = build_model(cfg["model"])
    missing, unexpected = model.load_state_dict({k: v.float() for k, v in ck["state_dict"].items()}, strict=False)
    if unexpected or any(not k.startswith("gate.") for k in missing):
        raise RuntimeError(f"{checkpoint}: not a pair-grid checkpoint this gate fits ({missing[:3]}, {unexpected[:3]})")
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith("gate."))
    model.eval()  # no dropout anywhere; the frozen part stays as trained
    opt = torch.optim.AdamW(model.gate.parameters(), lr=lr)
    val = validation_set(cfg)
    name, first_step = cfg["name"], int(ck["step"])
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / f"{name}_gate_log.csv"
    with open(log_path, "w", newline="") as f:
        csv.DictWriter(f, GATE_FIELDS).writeheader()
    t0, step, losses, last = time.time(), 0, [], {}

    def log(loss):
        row = {"step": step, "wall_s": round(time.time() - t0, 1), "loss": loss, **evaluate_gate(model, val, cfg)}
        with open(log_path, "a", newline="") as f:
            csv.DictWriter(f, GATE_FIELDS).writerow(row)
        print(" ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)
        return row

    log(float("nan"))
    while time.time() - t0 < 60 * time_limit_min and (steps is None or step < steps):
        X, M, _, flags = make_batch(first_step + step, 0, cfg, flags=True)  # seeds after the first stage's
        rng = np.random.default_rng([TRAIN_BASE, first_step + step, 0, 1])
        _, g = forward(model, X, M, cfg, rng, with_gate=True)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(g, flags.to(g.dtype))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        losses.append(float(loss.detach()))
        if step % val_every == 0:
            last = log(float(np.mean(losses)))
            losses = []
    last = log(float(np.mean(losses)) if losses else float("nan"))
    meta = dict(ck["meta"], gate={"checkpoint": str(checkpoint), "first_step": first_step, "steps": step,
                                  "wall_s": round(time.time() - t0, 1), "lr": lr, "final_val": last,
                                  "code_version": code_version()})
    save_checkpoint(out / f"{name}.pt", model, cfg, first_step, meta, None, cfg["train"].get("save_dtype", "float32"))
    sidecar = out / f"{name}.json"
    info = json.loads(sidecar.read_text()) if sidecar.exists() else {"name": name}
    sidecar.write_text(json.dumps({**info, "config": cfg, "gate": meta["gate"]}, indent=2, default=str))
    return last


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", required=True, help="a trained pair-grid checkpoint (first stage)")
    ap.add_argument("--config", required=True, help="its training config (the data distribution)")
    ap.add_argument("--out", default=None, help="output folder (default: the config's train.out)")
    ap.add_argument("--time-limit-min", type=float, default=None, help="default: the config's gate.time_limit_min")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (default: the config's train.threads)")
    a = ap.parse_args(argv)
    cfg = load_config(a.config)
    if a.threads:
        cfg["train"]["threads"] = a.threads
    gc = cfg.get("gate", {})
    train_gate(cfg, Path(a.checkpoint), Path(a.out or cfg["train"].get("out", "methods/tabscm/checkpoints")),
               a.time_limit_min or gc.get("time_limit_min", 10.0), gc.get("lr", 1e-3))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
