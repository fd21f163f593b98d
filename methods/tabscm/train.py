"""Train a TabSCM model from a config file.

    python -m methods.tabscm.train --config methods/tabscm/configs/tabscm.yaml [--out DIR] [--steps N] [--resume]

A config with a ``gate`` section has a second stage (``methods/tabscm/gate.py``) that
``make train`` runs on the model written here; it replaces ``<out>/<name>.pt``.

Training data are drawn fresh every step from the config's ``data`` (``distribution.py``, which also
keeps the seed blocks of training, validation and test apart).

Every ``val_every`` optimizer steps the loss AND validation AUROC, AUPRC, F1 (probability > 0.5),
the spread of predicted probabilities and the share of validation datasets tripping the benchmark's
collapse flags (``methods.health``; a warning is printed when all do) are appended to
``<out>/<name>_log.csv``; at the end
``<out>/<name>_curves.png`` shows loss and AUROC (twin axes), gradient norms, probability spread
and logit histograms. ``<out>/<name>.pt`` holds the shipped weights (+ ``<name>.json`` sidecar);
``<out>/<name>.resume.pt`` adds the optimizer state for ``--resume``.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import subprocess
import time
from pathlib import Path

import numpy as np
import yaml

from .distribution import TEST_BASE, TRAIN_BASE, TRAIN_SEED_LIMIT, VAL_BASE, _int_range, draw

HIST_EDGES = np.linspace(-12.0, 12.0, 49)
LOG_FIELDS = ["step", "datasets_seen", "wall_s", "lr", "loss", "grad_norm", "val_loss", "val_auroc",
              "val_auprc", "val_f1", "val_skeleton_auroc", "val_orientation", "val_orient_compelled",
              "val_orient_unidentifiable", "prob_mean", "prob_std",
              "prob_min", "prob_max", "val_n_pred_edges", "val_n_true_edges", "val_empty_output",
              "val_constant_scores", "val_chance_auroc"]
COLLAPSE = ("val_empty_output", "val_constant_scores")  # every validation dataset tripping one: collapsed


def code_version() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, timeout=5).stdout.strip() or "unknown"
    except Exception:
        return "unknown"


def load_config(path) -> dict:
    with open(path) as f:
        cfg = yaml.safe_load(f)
    cfg["_config_path"] = str(path)
    return cfg


# ------------------------------------------------------------------ batches

def subsample_rows(X, M, rows: int | None, rng: np.random.Generator):
    if rows is None or X.shape[0] <= rows:
        return X, M
    idx = np.sort(rng.choice(X.shape[0], size=rows, replace=False))
    return X[idx], M[idx]


def batch_size(opt: dict, d: int) -> int:
    """Datasets per batch: ``batch``, or with ``batch_pairs`` fewer for large d (at most that many ordered
    pairs in all, at least 2 datasets), so that a d = 100 step costs about what a d = 40 one does."""
    if "batch_pairs" not in opt:
        return int(opt["batch"])
    return int(min(opt["batch"], max(2, opt["batch_pairs"] // (d * d))))


def make_batch(step: int, micro: int, cfg: dict, flags: bool = False):
    """B datasets sharing one d and n (so they stack), seeds fixed by (step, micro): (X, M, target),
    and with ``flags`` their linear-Gaussian flags [B]."""
    import torch

    data, opt = cfg["data"], cfg["optim"]
    rng = np.random.default_rng([TRAIN_BASE, step, micro])
    d = _int_range(rng, data["d"], data.get("d_log", False))
    n = _int_range(rng, data["n"], data.get("n_log", False))
    first = TRAIN_BASE + (step * opt.get("accum", 1) + micro) * opt["batch"]
    B = batch_size(opt, d)
    if first + B >= TRAIN_SEED_LIMIT:
        raise RuntimeError("training ran out of its seed block")
    Xs, Ms, As, Fs = [], [], [], []
    for k in range(B):
        X, M, A, _, lg = draw(first + k, data, d, n, cfg["loss"].get("soft_targets", False))
        X, M = subsample_rows(X, M, data.get("train_rows"), rng)
        Xs.append(X), Ms.append(M), As.append(A), Fs.append(lg)
    out = (torch.from_numpy(np.stack(Xs)), torch.from_numpy(np.stack(Ms)), torch.from_numpy(np.stack(As)))
    return (*out, torch.tensor(Fs)) if flags else out


def validation_set(cfg: dict):
    """The fixed held-out set: seeds VAL_BASE .. VAL_BASE + val_size - 1."""
    return [draw(VAL_BASE + k, cfg["data"], soft=cfg["loss"].get("soft_targets", False))
            for k in range(cfg["train"]["val_size"])]


# ------------------------------------------------------------------ model plumbing

def forward(model, X, M, cfg, rng=None, with_gate: bool = False):
    """Edge logits [B, d, d] and (for the seed arch) intervention logits [B, d], or with
    ``with_gate`` (pair-grid arch) the gate's logits [B] in their place."""
    import torch

    from .model import zscore

    X = zscore(X)
    arch = cfg["model"]["arch"]
    if arch == "seed":
        return model(X, M)
    m = cfg["model"].get("sample_rows", 64)
    n = X.shape[1]
    if rng is None:
        idx = torch.arange(min(m, n))
    else:
        idx = torch.from_numpy(np.sort(rng.choice(n, size=min(m, n), replace=False)))
    if with_gate:
        return model(X, M, X[:, idx], M[:, idx], with_gate=True)
    return model(X, M, X[:, idx], M[:, idx]), None


def compute_loss(logits, aux_logits, A, M, cfg):
    import torch

    from .model import acyclicity, bce_loss, focal_loss

    lc = cfg["loss"]
    d = A.shape[-1]
    w = (1 - torch.eye(d, dtype=A.dtype, device=A.device)).expand_as(A)
    if lc["kind"] == "focal":
        loss = focal_loss(logits, A, w, lc.get("alpha", 0.25), lc.get("gamma", 3.0))
    else:
        loss = bce_loss(logits, A, w, lc.get("pos_weight"))
    if aux_logits is not None and lc.get("aux_weight", 0):
        target = (M.amax(dim=1) > 0).to(logits.dtype)
        loss = loss + lc["aux_weight"] * torch.nn.functional.binary_cross_entropy_with_logits(aux_logits, target)
    if lc.get("acyclicity", 0):
        loss = loss + lc["acyclicity"] * acyclicity(torch.sigmoid(logits))
    return loss


def evaluate_val(model, val, cfg, device) -> tuple[dict, np.ndarray]:
    """Mean per-dataset metrics on the fixed validation set, and a histogram of its logits. ``val_empty_output``,
    ``val_constant_scores``, ``val_chance_auroc``: the share of validation datasets tripping the benchmark's collapse
    flags (``methods.health``)."""
    import torch
    from sklearn.metrics import average_precision_score, roc_auc_score

    from ..health import collapse_flags

    model.eval()
    rows, all_p, all_l = [], [], []
    infer_rows = cfg["data"].get("train_rows")
    with torch.no_grad():
        for k, (X, M, T, A, _) in enumerate(val):
            Xr, Mr = subsample_rows(X, M, infer_rows, np.random.default_rng(k))
            logits, aux = forward(model, torch.from_numpy(Xr)[None].to(device),
                                  torch.from_numpy(Mr)[None].to(device), cfg)
            Tt = torch.from_numpy(T)[None].to(device)
            vloss = float(compute_loss(logits.float(), None if aux is None else aux.float(), Tt,
                                       torch.from_numpy(Mr)[None].to(device), cfg))
            L = logits[0].float().cpu().numpy().astype(np.float64)
            d = L.shape[0]
            off = ~np.eye(d, dtype=bool)
            P = 1 / (1 + np.exp(-L))
            y, s = A[off] > 0, P[off]
            tp, npred, ntrue = float((y & (s > 0.5)).sum()), float((s > 0.5).sum()), float(y.sum())
            prec = tp / npred if npred else 0.0
            rec = tp / ntrue if ntrue else 1.0
            flags = collapse_flags(A, P, npred)  # the benchmark's own rule (bench.diagnostics uses it too)
            r = {"val_loss": vloss, "val_f1": 2 * prec * rec / (prec + rec) if prec + rec else 0.0,
                 "val_n_pred_edges": npred, "val_n_true_edges": ntrue,
                 **{f"val_{k}": float(flags[k]) for k in ("empty_output", "constant_scores", "chance_auroc")}}
            if 0 < y.sum() < y.size:
                r["val_auroc"] = roc_auc_score(y, s)
                r["val_auprc"] = average_precision_score(y, s)
                skel = ((A + A.T) > 0)[np.triu_indices(d, 1)]
                ssk = np.maximum(P, P.T)[np.triu_indices(d, 1)]
                if 0 < skel.sum() < skel.size:
                    r["val_skeleton_auroc"] = roc_auc_score(skel, ssk)
                right = (P > P.T) + 0.5 * (P == P.T)
                r["val_orientation"] = float(right[A > 0].mean())
                for key, edges in (("val_orient_compelled", (A > 0) & (T == 1)),
                                   ("val_orient_unidentifiable", (A > 0) & (T == 0.5))):
                    if edges.any():
                        r[key] = float(right[edges].mean())
            rows.append(r)
            all_p.append(s), all_l.append(L[off])
    model.train()
    keys = {k for r in rows for k in r}
    out = {k: float(np.mean([r[k] for r in rows if k in r])) for k in keys}
    p = np.concatenate(all_p)
    out.update(prob_mean=float(p.mean()), prob_std=float(p.std()), prob_min=float(p.min()),
               prob_max=float(p.max()))
    hist = np.histogram(np.clip(np.concatenate(all_l), HIST_EDGES[0], HIST_EDGES[-1]), HIST_EDGES)[0]
    return out, hist


# ------------------------------------------------------------------ checkpoints

def save_checkpoint(path: Path, model, cfg, step, meta, optimizer=None, dtype="float32"):
    import torch

    sd = {k: (v.to(getattr(torch, dtype)) if v.is_floating_point() else v).cpu()
          for k, v in model.state_dict().items()}
    clean_cfg = {k: v for k, v in cfg.items() if not k.startswith("_")}
    obj = {"format": "tabscm-checkpoint/1", "state_dict": sd, "config": clean_cfg, "step": int(step),
           "meta": meta}
    if optimizer is not None:
        obj["optimizer"] = optimizer.state_dict()
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def init_from(model, path) -> str:
    """Start ``model`` from another checkpoint's weights (a warm start): every tensor of the same name and shape
    is copied; an input layer that has grown (a larger feature set) keeps the old columns and starts the new
    ones at zero, so the warm-started model computes what the old one did. Returns the source's sha256."""
    import hashlib

    import torch

    raw = Path(path).read_bytes()
    ck = torch.load(path, map_location="cpu", weights_only=True)
    own = model.state_dict()
    for k, v in ck["state_dict"].items():
        if k not in own or not v.is_floating_point():
            continue
        v = v.float()
        if v.shape == own[k].shape:
            own[k] = v
        elif v.dim() == 2 and v.shape[0] == own[k].shape[0] and v.shape[1] < own[k].shape[1]:
            grown = torch.zeros_like(own[k])
            grown[:, : v.shape[1]] = v
            own[k] = grown
    model.load_state_dict(own)
    return hashlib.sha256(raw).hexdigest()[:16]


def _plot(out: Path, name: str, log_rows: list[dict], hists: list[tuple[int, list[int]]]):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def col(k):
        xs = [float(r["step"]) for r in log_rows if r.get(k) not in (None, "")]
        ys = [float(r[k]) for r in log_rows if r.get(k) not in (None, "")]
        return xs, ys

    fig, ax = plt.subplots(2, 2, figsize=(12, 8))
    a = ax[0, 0]
    a.plot(*col("loss"), color="tab:blue", alpha=0.6, label="train loss")
    a.plot(*col("val_loss"), color="tab:cyan", marker=".", label="val loss")
    a.set_xlabel("optimizer step"), a.set_ylabel("loss"), a.set_yscale("log")
    b = a.twinx()
    b.plot(*col("val_auroc"), color="tab:red", marker="o", ms=3, label="val AUROC")
    b.plot(*col("val_auprc"), color="tab:orange", marker="s", ms=3, label="val AUPRC")
    b.plot(*col("val_f1"), color="tab:green", marker="^", ms=3, label="val F1 (p>0.5)")
    b.set_ylim(0, 1), b.set_ylabel("validation metric"), b.axhline(0.5, color="grey", ls=":", lw=0.8)
    h1, l1 = a.get_legend_handles_labels()
    h2, l2 = b.get_legend_handles_labels()
    a.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=5, fontsize=8)  # off the lines
    a.set_title(f"{name}: loss and validation metrics")
    ax[0, 1].plot(*col("grad_norm"), color="tab:purple")
    ax[0, 1].set_yscale("log"), ax[0, 1].set_title("gradient norm (before clipping)")
    ax[0, 1].set_xlabel("optimizer step")
    c = ax[1, 0]
    for k, st in [("prob_mean", "-"), ("prob_std", "--"), ("prob_min", ":"), ("prob_max", "-.")]:
        c.plot(*col(k), ls=st, label=k)
    c.set_ylim(-0.02, 1.02), c.legend(fontsize=8), c.set_title("spread of validation probabilities")
    c.set_xlabel("optimizer step")
    h = ax[1, 1]
    centers = (HIST_EDGES[:-1] + HIST_EDGES[1:]) / 2
    pick = [hists[i] for i in sorted({0, len(hists) // 2, len(hists) - 1})] if hists else []
    for st, counts in pick:
        h.step(centers, np.asarray(counts) / max(1, sum(counts)), where="mid", label=f"step {st}")
    h.axvline(0.0, color="grey", ls=":"), h.set_xlabel("edge logit (validation, off-diagonal)")
    h.set_title("logit histograms"), h.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / f"{name}_curves.png", dpi=90)
    plt.close(fig)


# ------------------------------------------------------------------ main loop

def train(cfg: dict, out: Path, steps: int | None = None, resume: bool = False,
          time_limit_min: float | None = None) -> dict:
    """Train until ``steps`` or the time limit. With ``train.campaign`` the limit and the cosine schedule are
    per run (warm restarts: each run of a campaign anneals, so every committed checkpoint is a finished one),
    otherwise over the whole training, resumed runs included."""
    import torch

    from .model import build_model, n_params

    tc, oc = cfg["train"], cfg["optim"]
    name = cfg["name"]
    steps = int(steps if steps is not None else oc["steps"])
    limit_s = 60.0 * float(time_limit_min if time_limit_min is not None else tc.get("time_limit_min", 1e9))
    out.mkdir(parents=True, exist_ok=True)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.type == "cpu":
        torch.set_num_threads(int(tc.get("threads", 1)))
    torch.manual_seed(int(tc.get("seed", 0)))
    model = build_model(cfg["model"]).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=oc["lr"], weight_decay=oc.get("weight_decay", 0.0))
    amp = device.type == "cuda"
    log_path, hist_path = out / f"{name}_log.csv", out / f"{name}_logit_hist.json"
    resume_path = out / f"{name}.resume.pt"
    step, elapsed, hists, log_rows = 0, 0.0, [], []
    campaign = bool(tc.get("campaign", False))
    warm, runs, seen = None, [], 0  # seen: datasets trained on (fewer than batch per step where batch_pairs cuts it)
    if resume and resume_path.exists():
        ck = torch.load(resume_path, map_location=device, weights_only=True)
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck["state_dict"].items()})
        opt.load_state_dict(ck["optimizer"])
        step, elapsed = ck["step"], float(ck["meta"].get("train_wall_s", 0.0))
        if hist_path.exists():
            hists = [tuple(h) for h in json.loads(hist_path.read_text())]
        if log_path.exists():
            with open(log_path) as f:
                log_rows = [r for r in csv.DictReader(f) if int(r["step"]) <= step]
        warm, runs = ck["meta"].get("init_from"), list(ck["meta"].get("runs", []))
        seen = int(ck["meta"].get("datasets_seen", step * oc.get("accum", 1) * oc["batch"]))  # runs before it was kept
        print(f"resumed {name} at step {step} ({elapsed:.0f} s trained)", flush=True)
    elif tc.get("init_from"):
        warm = {"checkpoint": tc["init_from"], "sha256": init_from(model, tc["init_from"])}
        print(f"{name} starts from {tc['init_from']} ({warm['sha256']})", flush=True)
    with open(log_path, "w", newline="") as f:
        w = csv.DictWriter(f, LOG_FIELDS)
        w.writeheader()
        w.writerows(log_rows)
    val = validation_set(cfg)
    accum, B = oc.get("accum", 1), oc["batch"]
    warmup = oc.get("warmup", 0)
    t0 = time.time() - elapsed
    run_t0, run_first = time.time(), step
    print(f"training {name}: {n_params(model)} parameters on {device}, {steps} steps, "
          f"batch {B} x accum {accum}, limit {limit_s / 60:.1f} min", flush=True)

    def lr_at(s, wall):
        if campaign:
            s, wall = s - run_first, time.time() - run_t0
        f = min(1.0, (s + 1) / warmup) if warmup else 1.0
        if oc.get("schedule", "constant") == "cosine":
            prog = min(1.0, wall / limit_s) if campaign else min(1.0, max(s / max(steps, 1), wall / limit_s))
            f *= 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * prog))
        return oc["lr"] * f

    def meta(final=False):
        return {"code_version": code_version(), "config_path": cfg.get("_config_path"),
                "n_params": n_params(model), "train_wall_s": time.time() - t0, "device": str(device),
                "data_seeds": {"train_first": TRAIN_BASE,
                               "train_next": TRAIN_BASE + step * accum * B,
                               "val": [VAL_BASE, VAL_BASE + tc["val_size"] - 1], "test_block": TEST_BASE},
                "torch": str(torch.__version__), "finished": final, "init_from": warm, "datasets_seen": seen,
                "runs": runs + ([{"first_step": run_first, "last_step": step,
                                  "wall_s": round(time.time() - run_t0, 1)}] if campaign else [])}

    def validate_and_log(loss_v, gnorm, lr):
        vm, hist = evaluate_val(model, val, cfg, device)
        hists.append((step, hist.tolist()))
        hist_path.write_text(json.dumps(hists))
        row = {"step": step, "datasets_seen": seen, "wall_s": round(time.time() - t0, 1),
               "lr": lr, "loss": loss_v, "grad_norm": gnorm, **{k: vm.get(k) for k in LOG_FIELDS if k in vm}}
        log_rows.append(row)
        with open(log_path, "a", newline="") as f:
            csv.DictWriter(f, LOG_FIELDS).writerow(row)
        print(f"step {step:6d} {row['wall_s']:7.0f}s loss {loss_v:.4f} |g| {gnorm:.3f} "
              f"val auroc {vm.get('val_auroc', float('nan')):.3f} auprc {vm.get('val_auprc', float('nan')):.3f} "
              f"f1 {vm['val_f1']:.3f} p mean {vm['prob_mean']:.3f} std {vm['prob_std']:.3f} "
              f"[{vm['prob_min']:.3f}, {vm['prob_max']:.3f}]", flush=True)
        collapsed = [k[4:] for k in COLLAPSE if vm.get(k, 0.0) >= 1.0]
        if collapsed:
            print(f"WARNING step {step}: the model has collapsed: {' and '.join(collapsed)} on every validation "
                  "dataset", flush=True)
        return vm

    last = {}
    if step == 0:
        last = validate_and_log(float("nan"), float("nan"), lr_at(0, 0.0))
    model.train()
    losses, gnorms = [], []
    def running() -> bool:
        return step < steps and (time.time() - (run_t0 if campaign else t0)) < limit_s

    while running():
        lr = lr_at(step, time.time() - t0)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        tot = 0.0
        for micro in range(accum):
            X, M, A = (t.to(device) for t in make_batch(step, micro, cfg))
            seen += int(X.shape[0])
            rng = np.random.default_rng([TRAIN_BASE, step, micro, 1])
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp):
                logits, aux = forward(model, X, M, cfg, rng)
            loss = compute_loss(logits.float(), None if aux is None else aux.float(), A, M, cfg) / accum
            loss.backward()
            tot += float(loss.detach())
        gn = float(torch.nn.utils.clip_grad_norm_(model.parameters(), oc.get("grad_clip", 1.0)))
        opt.step()
        step += 1
        losses.append(tot), gnorms.append(gn)
        if step % tc["val_every"] == 0 or step == steps:
            last = validate_and_log(float(np.mean(losses)), float(np.mean(gnorms)), lr)
            losses, gnorms = [], []
        if step % tc.get("ckpt_every", tc["val_every"]) == 0:
            save_checkpoint(resume_path, model, cfg, step, meta(), opt)
    if losses:
        last = validate_and_log(float(np.mean(losses)), float(np.mean(gnorms)), lr_at(step, time.time() - t0))
    final_meta = meta(final=True)
    final_meta["final_val"] = last
    save_checkpoint(resume_path, model, cfg, step, final_meta, opt)
    save_checkpoint(out / f"{name}.pt", model, cfg, step, final_meta, None, tc.get("save_dtype", "float32"))
    (out / f"{name}.json").write_text(json.dumps({"name": name, "step": step, "config": {
        k: v for k, v in cfg.items() if not k.startswith("_")}, **final_meta}, indent=2, default=str))
    _plot(out, name, log_rows, hists)
    print(f"done: {step} steps in {final_meta['train_wall_s']:.0f} s -> {out / (name + '.pt')}", flush=True)
    return {"step": step, **last}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--out", default=None, help="output folder (default: the config's train.out)")
    ap.add_argument("--steps", type=int, default=None, help="optimizer steps (default: the config's)")
    ap.add_argument("--time-limit-min", type=float, default=None, help="stop after this many minutes")
    ap.add_argument("--resume", action="store_true", help="continue from <out>/<name>.resume.pt where it exists")
    ap.add_argument("--print-checkpoint", action="store_true", help="print the path this config writes and stop")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (default: the config's train.threads)")
    a = ap.parse_args(argv)
    cfg = load_config(a.config)
    if a.threads:
        cfg["train"]["threads"] = a.threads
    out = Path(a.out or cfg["train"].get("out", "methods/tabscm/checkpoints"))
    if a.print_checkpoint:
        print(out / f"{cfg['name']}.pt")
        return 0
    train(cfg, out, a.steps, a.resume, a.time_limit_min)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
