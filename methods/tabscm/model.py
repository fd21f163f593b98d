"""TabSCM models: one code base, two configurations (imports torch; load lazily).

``arch: seed`` (method ``tabscm-seed``) is the reported architecture, reproduced faithfully:
every column is embedded and summarised *on its own* (cells (value, mask) -> 192-dim linear,
row positional encoding, a 2-layer 4-head transformer over that column's rows, cross-attention
from one learned query down to one vector per column); only then does a 6-layer 8-head
transformer let the column vectors see each other. A bilinear head scores i -> j, an auxiliary
head predicts which columns were intervened on. The joint dependence that defines edges is
gone before any column sees another: this is the reproduction of the failure, not a fix.

``arch: pairgrid`` (method ``tabscm``) is the model that works:

- a d x d grid of pair sufficient statistics (correlation, ridge partial correlation and their
  rank versions, R^2 of each node, both regression coefficients, a few nonlinear moments, a
  cubic regression of each variable on the other both ways (its R^2, and how its squared
  residual moves with the regressor: the additive-noise cue), and intervention features from
  the mask: how x_j's mean and spread move in rows where i was set) embedded by a small MLP,
- a sample-axis component: cells (value, mask) of a row subsample pass through attention
  alternating across variables and across samples, then are pooled over samples to one
  vector per variable that is added to that variable's row and column of the grid,
- axial attention along the rows and the columns of the grid, with (i, j) and (j, i) mixed
  after every layer,
- an edge head on [h_ij, h_ji] (so it can tell i -> j from j -> i), bias at the prior log-odds,
- and a gate (``gate.py``, trained second with the rest frozen): one logit per dataset that the
  data are linear-Gaussian, where only the (I-)essential graph can be identified.

Shapes: X [B, n, d] float (z-scored per column), M [B, n, d] float in {0, 1}; logits [B, d, d].
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

N_PAIR_FEATURES = 32
#: Feature sets by version: 2 is the second generation's 32; 3 adds 14 that keep their meaning under monotone
#: distortion and outliers (rank-scale regressions and intervention shifts, |rank correlations|, rank R^2)
#: and the marginal shape a distortion leaves (winsorized skewness and kurtosis of both variables).
N_FEATURES = {2: N_PAIR_FEATURES, 3: N_PAIR_FEATURES + 14}


# ------------------------------------------------------------------ input handling

def zscore(X: torch.Tensor) -> torch.Tensor:
    """Standardise each column of [B, n, d] (constant columns become 0)."""
    mu = X.mean(dim=1, keepdim=True)
    sd = X.std(dim=1, keepdim=True, unbiased=False)
    return (X - mu) / torch.where(sd > 1e-8, sd, torch.ones_like(sd))


def _corr(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """[Bt, d, d] correlation between the columns of A [Bt, n, d] and of B [Bt, n, d]."""
    A, B = zscore(A), zscore(B)
    return (A.transpose(1, 2) @ B / A.shape[1]).clamp(-1.0, 1.0)


def _ranks(X: torch.Tensor) -> torch.Tensor:
    """Normal scores of each column's ranks (robust to heavy tails and monotone distortion)."""
    n = X.shape[1]
    r = X.argsort(dim=1, stable=True).argsort(dim=1).to(X.dtype)
    return torch.special.ndtri((r + 0.5) / n)


def _partial(C: torch.Tensor, ridge: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(partial correlations, precision diagonal) of a correlation matrix [B, d, d]."""
    P = torch.linalg.inv(C + ridge * torch.eye(C.shape[-1], dtype=C.dtype, device=C.device))
    dP = torch.diagonal(P, dim1=1, dim2=2).clamp_min(1e-6)
    return (-P / torch.sqrt(dP[:, :, None] * dP[:, None, :])).clamp(-1.0, 1.0), dP


def regression_features(X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Bivariate nonlinear regression of x_j on x_i (ridge cubic polynomial), every ordered pair:
    (R^2 [B, i, j], residual dependence [B, i, j]). The second is the additive-noise cue of
    Hoyer et al.: how the squared residual still moves with x_i and x_i^2, as
    cov(q, e^2) / (sd(q) mean(e^2)). Both come from sums over rows of products of x_i's powers
    and x_j, so no [d, n, d] array of residuals is formed. X: [B, n, d] z-scored."""
    Bt, n, d = X.shape
    D = torch.stack([X, X * X, X ** 3], dim=-1)                              # [B, n, i, 3]
    D = D - D.mean(dim=1, keepdim=True)
    Q = D[..., :2] / D[..., :2].std(dim=1, keepdim=True, unbiased=False).clamp_min(1e-6)  # x_i, x_i^2
    H = torch.einsum("bnia,bnic->biac", D, D)                                # [B, i, 3, 3]
    b = (D.reshape(Bt, n, 3 * d).transpose(1, 2) @ X).reshape(Bt, d, 3, d)   # [B, i, 3, j]
    eye = torch.eye(3, dtype=X.dtype, device=X.device)
    # solve_ex: float32 rounding can leave an exact zero pivot in this positive-definite system (campaign run 13
    # stopped on one, where torch.linalg.solve raises); that column then gets no fit (c = 0, R^2 = 0)
    c, info = torch.linalg.solve_ex(H + 1e-3 * n * eye, b)                   # [B, i, 3, j]
    c = torch.where((info == 0)[:, :, None, None], c, 0.0)
    sse = (n - 2 * (c * b).sum(2) + (c * (H @ c)).sum(2)).clamp_min(1e-6 * n)  # [B, i, j]
    QD = (Q[..., :, None] * D[..., None, :]).reshape(Bt, n, 6 * d)            # [B, n, (i, q, a)]
    s1 = (Q.reshape(Bt, n, 2 * d).transpose(1, 2) @ (X * X)).reshape(Bt, d, 2, d)
    s2 = (QD.transpose(1, 2) @ X).reshape(Bt, d, 2, 3, d)
    s3 = torch.einsum("bniq,bnia,bnic->biqac", Q, D, D)                      # [B, i, 2, 3, 3]
    qe2 = s1 - 2 * (c[:, :, None] * s2).sum(3) + (c[:, :, None] * (s3 @ c[:, :, None])).sum(3)
    dep = (qe2 / sse[:, :, None]).pow(2).sum(2).sqrt()
    return (1.0 - sse / n).clamp(0.0, 1.0), dep.clamp(0.0, 3.0)


def _shape(X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(skewness, excess kurtosis) [B, d] of each column winsorized at 5 sd, signed-log compressed: how far
    a marginal is from Gaussian, kept finite under outliers (a distorted column is skewed or heavy-tailed)."""
    Z = zscore(zscore(X).clamp(-5.0, 5.0))
    sk, ku = (Z ** 3).mean(dim=1), (Z ** 4).mean(dim=1) - 3.0
    return torch.sign(sk) * torch.log1p(sk.abs()), torch.sign(ku) * torch.log1p(ku.abs())


def pair_features(X: torch.Tensor, M: torch.Tensor, ridge: float = 1e-2, version: int = 2) -> torch.Tensor:
    """Sufficient statistics of every ordered pair: [B, d, d, N_FEATURES[version]].

    X: [B, n, d] z-scored. M: [B, n, d] intervention mask as float (zeros when none).
    Feature (i, j) describes the candidate edge i -> j.
    """
    Bt, n, d = X.shape
    eye = torch.eye(d, dtype=X.dtype, device=X.device).expand(Bt, d, d)
    C = _corr(X, X)
    C = 0.5 * (C + C.transpose(1, 2))
    pc, dP = _partial(C, ridge)
    r2 = (1.0 - 1.0 / dP).clamp(0.0, 1.0)                                    # R^2 of node from the rest
    beta = (pc * torch.sqrt(dP[:, :, None] / dP[:, None, :])).clamp(-10.0, 10.0)  # i in the regression of j
    Xr = _ranks(X)
    R = _corr(Xr, Xr)
    rpc, _ = _partial(0.5 * (R + R.transpose(1, 2)), ridge)
    nl_r2, dep = regression_features(X)
    Xsq = X * X
    c_sq = _corr(X, Xsq)                       # corr(x_i, x_j^2)
    c_abs = _corr(X.abs(), X.abs())
    # intervention features: rows where i was set vs observational rows
    obs = (M.sum(dim=2, keepdim=True) == 0).to(X.dtype)                      # [B, n, 1]
    n_obs = obs.sum(dim=1).clamp_min(1.0)                                    # [B, 1]
    mu_obs = (X * obs).sum(dim=1) / n_obs                                    # [B, d]
    var_obs = ((X - mu_obs[:, None, :]) ** 2 * obs).sum(dim=1) / n_obs
    sd_obs = var_obs.clamp_min(1e-4).sqrt()
    n_int = M.sum(dim=1)                                                     # [B, d] rows where i set
    ever = (n_int > 0).to(X.dtype)
    mu_int = (M.transpose(1, 2) @ X) / n_int.clamp_min(1.0)[:, :, None]      # [B, i, j] mean of x_j | do(i)
    ex2_int = (M.transpose(1, 2) @ Xsq) / n_int.clamp_min(1.0)[:, :, None]
    var_int = (ex2_int - mu_int ** 2).clamp_min(0.0)
    shift = ((mu_int - mu_obs[:, None, :]) / sd_obs[:, None, :]).clamp(-10, 10) * ever[:, :, None]
    lvr = torch.log((var_int + 1e-3) / (var_obs[:, None, :] + 1e-3)).clamp(-5, 5) * ever[:, :, None]
    share_int = n_int / n
    ri, rj = r2[:, :, None].expand(Bt, d, d), r2[:, None, :].expand(Bt, d, d)
    ei, ej = ever[:, :, None].expand(Bt, d, d), ever[:, None, :].expand(Bt, d, d)
    si, sj = share_int[:, :, None].expand(Bt, d, d), share_int[:, None, :].expand(Bt, d, d)
    T = lambda a: a.transpose(1, 2)  # noqa: E731
    feats = [C, pc, C.abs(), pc.abs(), C * C, pc * pc, ri, rj, ri - rj,
             beta, T(beta), beta.abs() - T(beta).abs(),
             c_sq, T(c_sq), c_abs,
             eye, torch.full_like(C, 1.0 / d), torch.full_like(C, math.log(n) / 8.0),
             ei, ej, si, sj, shift, lvr, T(shift), T(lvr),
             R, rpc, nl_r2, T(nl_r2), dep, T(dep)]
    if version >= 3:
        rdP = torch.diagonal(torch.linalg.inv(0.5 * (R + R.transpose(1, 2)) + ridge * torch.eye(
            d, dtype=X.dtype, device=X.device)), dim1=1, dim2=2).clamp_min(1e-6)
        rr2 = (1.0 - 1.0 / rdP).clamp(0.0, 1.0)                              # rank R^2 of node from the rest
        rnl, rdep = regression_features(Xr)
        mu_r_obs = (Xr * obs).sum(dim=1) / n_obs
        sd_r_obs = (((Xr - mu_r_obs[:, None, :]) ** 2 * obs).sum(dim=1) / n_obs).clamp_min(1e-4).sqrt()
        mu_r_int = (M.transpose(1, 2) @ Xr) / n_int.clamp_min(1.0)[:, :, None]
        rshift = ((mu_r_int - mu_r_obs[:, None, :]) / sd_r_obs[:, None, :]).clamp(-10, 10) * ever[:, :, None]
        sk, ku = _shape(X)
        feats += [R.abs(), rpc.abs(), rr2[:, :, None].expand(Bt, d, d), rr2[:, None, :].expand(Bt, d, d),
                  rnl, T(rnl), rdep, T(rdep), rshift, T(rshift),
                  sk[:, :, None].expand(Bt, d, d), sk[:, None, :].expand(Bt, d, d),
                  ku[:, :, None].expand(Bt, d, d), ku[:, None, :].expand(Bt, d, d)]
    out = torch.stack(feats, dim=-1)
    assert out.shape[-1] == N_FEATURES[version]
    return torch.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


# ------------------------------------------------------------------ pairgrid (tabscm)

class _Block(nn.Module):
    """Pre-norm self-attention + MLP over the second-to-last axis of [N, L, C]."""

    def __init__(self, width: int, heads: int, ff: int = 2, dropout: float = 0.0):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, dropout=dropout, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(width, ff * width), nn.GELU(), nn.Linear(ff * width, width))

    def forward(self, h):
        a = self.n1(h)
        h = h + self.attn(a, a, a, need_weights=False)[0]
        return h + self.ff(self.n2(h))


class AxialLayer(nn.Module):
    """Attention along grid rows (i fixed, over j), then columns (j fixed, over i), then a
    mixing of h_ij with h_ji. h: [B, d, d, C]."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.row = _Block(width, heads)
        self.col = _Block(width, heads)
        self.mix = nn.Sequential(nn.LayerNorm(2 * width), nn.Linear(2 * width, width))

    def forward(self, h):
        B, d, _, C = h.shape
        h = self.row(h.reshape(B * d, d, C)).reshape(B, d, d, C)
        h = self.col(h.transpose(1, 2).reshape(B * d, d, C)).reshape(B, d, d, C).transpose(1, 2)
        return h + self.mix(torch.cat([h, h.transpose(1, 2)], dim=-1))


class SampleAxis(nn.Module):
    """AVICI-style: cells (value, mask) [B, m, d] -> attention alternating across variables
    (within a row) and across samples (within a variable) -> mean/max over samples -> [B, d, out]."""

    def __init__(self, width: int, heads: int, layers: int, out: int):
        super().__init__()
        self.embed = nn.Linear(2, width)
        self.var_blocks = nn.ModuleList(_Block(width, heads) for _ in range(layers))
        self.smp_blocks = nn.ModuleList(_Block(width, heads) for _ in range(layers))
        self.out = nn.Sequential(nn.LayerNorm(2 * width), nn.Linear(2 * width, out))

    def forward(self, X, M):
        B, m, d = X.shape
        h = self.embed(torch.stack([X, M], dim=-1))                          # [B, m, d, w]
        w = h.shape[-1]
        for vb, sb in zip(self.var_blocks, self.smp_blocks):
            h = vb(h.reshape(B * m, d, w)).reshape(B, m, d, w)
            h = sb(h.transpose(1, 2).reshape(B * d, m, w)).reshape(B, d, m, w).transpose(1, 2)
        pooled = torch.cat([h.mean(dim=1), h.amax(dim=1)], dim=-1)           # [B, d, 2w]
        return self.out(pooled)


class PairGridModel(nn.Module):
    def __init__(self, width: int = 64, heads: int = 4, layers: int = 3, sample_width: int = 32,
                 sample_layers: int = 1, sample_rows: int = 64, prior_edge_prob: float = 0.15,
                 ridge: float = 1e-2, gate: bool = False, features: int = 2, **_):
        super().__init__()
        self.features = features
        # the linear-Gaussian gate: trained after the rest, on its frozen features (methods/tabscm/gate.py)
        self.gate = nn.Sequential(nn.LayerNorm(2 * width), nn.Linear(2 * width, width), nn.GELU(),
                                  nn.Linear(width, 1)) if gate else None
        self.ridge, self.sample_rows = ridge, sample_rows
        self.embed = nn.Sequential(nn.Linear(N_FEATURES[features], width), nn.GELU(), nn.Linear(width, width))
        self.sample = SampleAxis(sample_width, 2, sample_layers, 2 * width) if sample_layers > 0 else None
        self.layers = nn.ModuleList(AxialLayer(width, heads) for _ in range(layers))
        self.head = nn.Sequential(nn.LayerNorm(2 * width), nn.Linear(2 * width, width), nn.GELU(),
                                  nn.Linear(width, 1))
        nn.init.zeros_(self.head[-1].weight)
        p = min(max(prior_edge_prob, 1e-4), 1 - 1e-4)
        nn.init.constant_(self.head[-1].bias, math.log(p / (1 - p)))

    def forward(self, X, M, Xs=None, Ms=None, with_gate: bool = False):
        """X, M: [B, n, d] (z-scored, mask). Xs, Ms: [B, m, d] row subsample for the sample axis
        (default: the first ``sample_rows`` rows). Returns edge logits [B, d, d]; with ``with_gate``
        also the gate's logit [B]: are these data linear-Gaussian (direction identifiable only up to the
        essential graph)?"""
        h = self.embed(pair_features(X, M, self.ridge, self.features))
        if self.sample is not None:
            if Xs is None:
                Xs, Ms = X[:, : self.sample_rows], M[:, : self.sample_rows]
            u = self.sample(Xs, Ms)                                          # [B, d, 2w]
            a, b = u.chunk(2, dim=-1)
            h = h + a[:, :, None, :] + b[:, None, :, :]
        for layer in self.layers:
            h = layer(h)
        pair = torch.cat([h, h.transpose(1, 2)], dim=-1)
        logits = self.head(pair).squeeze(-1)
        if not with_gate:
            return logits
        pooled = torch.cat([h.mean(dim=(1, 2)), h.amax(dim=(1, 2))], dim=-1)     # [B, 2w]
        return logits, self.gate(pooled).squeeze(-1)


# ------------------------------------------------------------------ seed (tabscm-seed)

def _sinusoid(n: int, width: int, device=None) -> torch.Tensor:
    pos = torch.arange(n, device=device, dtype=torch.float32)[:, None]
    i = torch.arange(0, width, 2, device=device, dtype=torch.float32)
    ang = pos / torch.pow(10000.0, i / width)
    pe = torch.zeros(n, width, device=device)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(ang), torch.cos(ang)
    return pe


class SeedModel(nn.Module):
    """The reported TabSCM transformer (see module docstring). forward -> (edge logits [B, d, d],
    intervention logits [B, d])."""

    def __init__(self, width: int = 192, col_layers: int = 2, col_heads: int = 4,
                 var_layers: int = 6, var_heads: int = 8, ff: int = 384, **_):
        super().__init__()
        self.width = width
        self.cell = nn.Linear(2, width)
        enc = lambda h: nn.TransformerEncoderLayer(width, h, ff, dropout=0.0, batch_first=True)  # noqa: E731
        self.col_encoder = nn.TransformerEncoder(enc(col_heads), col_layers, enable_nested_tensor=False)
        self.query = nn.Parameter(torch.randn(1, 1, width) * 0.02)
        self.pool = nn.MultiheadAttention(width, col_heads, batch_first=True)
        self.var_encoder = nn.TransformerEncoder(enc(var_heads), var_layers, enable_nested_tensor=False)
        self.u, self.v = nn.Linear(width, width), nn.Linear(width, width)
        self.bilinear = nn.Parameter(torch.randn(width, width) / width)
        self.edge_bias = nn.Parameter(torch.zeros(()))
        self.aux = nn.Linear(width, 1)

    def forward(self, X, M, *_, **__):
        B, n, d = X.shape
        cells = self.cell(torch.stack([X, M], dim=-1))                       # [B, n, d, w]
        cells = cells + _sinusoid(n, self.width, X.device)[None, :, None, :]
        cols = cells.transpose(1, 2).reshape(B * d, n, self.width)           # each column alone
        cols = self.col_encoder(cols)
        q = self.query.expand(B * d, 1, self.width)
        z = self.pool(q, cols, cols, need_weights=False)[0].reshape(B, d, self.width)
        z = self.var_encoder(z)
        logits = torch.einsum("bia,ac,bjc->bij", self.u(z), self.bilinear, self.v(z)) + self.edge_bias
        return logits, self.aux(z).squeeze(-1)


# ------------------------------------------------------------------ construction and losses

def build_model(model_cfg: dict) -> nn.Module:
    cfg = dict(model_cfg)
    arch = cfg.pop("arch")
    if arch == "pairgrid":
        return PairGridModel(**cfg)
    if arch == "seed":
        return SeedModel(**cfg)
    raise ValueError(f"unknown model arch {arch!r} (known: pairgrid, seed)")


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def focal_loss(logits, target, weight, alpha: float = 0.25, gamma: float = 3.0):
    """Sigmoid focal loss (Lin et al.), averaged over entries with weight 1."""
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = p * target + (1 - p) * (1 - target)
    a_t = alpha * target + (1 - alpha) * (1 - target)
    loss = a_t * (1 - p_t) ** gamma * ce
    return (loss * weight).sum() / weight.sum().clamp_min(1.0)


def bce_loss(logits, target, weight, pos_weight: float | None = None):
    pw = None if pos_weight is None else torch.tensor(pos_weight, dtype=logits.dtype, device=logits.device)
    loss = F.binary_cross_entropy_with_logits(logits, target, reduction="none", pos_weight=pw)
    return (loss * weight).sum() / weight.sum().clamp_min(1.0)


def acyclicity(probs: torch.Tensor) -> torch.Tensor:
    """NOTEARS h(W) = tr(exp(W o W)) - d per graph, averaged; probs [B, d, d] (diagonal zeroed)."""
    d = probs.shape[-1]
    W = probs * (1 - torch.eye(d, device=probs.device, dtype=probs.dtype))
    return (torch.linalg.matrix_exp(W * W).diagonal(dim1=1, dim2=2).sum(-1) - d).mean()
