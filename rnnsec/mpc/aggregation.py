"""Secure aggregation for federated learning: the server learns only the sum of the updates.

Pairwise masking (Bonawitz et al., 2017), simplified and simulated in one process:

1. **Advertise keys.** Each client sends a public key to the server, which forwards all of them
   to every client. Every pair of clients (u, v) can then derive a shared seed s_uv
   (Diffie-Hellman key agreement in the paper; here a seed drawn for the pair, which plays the
   same role: only u and v know it).
2. **Masked input.** Client u encodes its update x_u in fixed point (Z_2^64) and sends
   y_u = x_u + sum_{v > u} PRG(s_uv) - sum_{v < u} PRG(s_uv). Each mask is added by one client
   of the pair and subtracted by the other, so they cancel in the sum; a single y_u is
   uniformly random and independent of x_u.
3. **Unmasking** (only if clients dropped out after step 1): the masks shared with a dropped
   client d no longer cancel. With ``on_dropout="recover"`` every surviving client v sends its
   seed s_dv to the server, which removes those masks. In the paper the seeds are rebuilt
   from t-out-of-n Shamir shares of d's key, and every client also adds a self-mask (double
   masking) so that a late y_d can never be unmasked; both are left out here, so this
   simplified version is only safe if a dropped client's message never reaches the server.
   ``on_dropout="refuse"`` raises :class:`DropoutError` instead.

Optional distributed differential privacy: each update is clipped to L2 norm ``clip_norm`` and
each client adds Gaussian noise of standard deviation ``noise_multiplier * clip_norm / sqrt(n)``,
so the sum of n clients carries N(0, (noise_multiplier * clip_norm)^2) per coordinate without
any single party knowing the total noise. If clients drop out, the sum has less noise; the
result reports the effective noise multiplier.

Taught in Chapter 3.3 (secure aggregation and federated learning).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnsec._validate import check_choice, check_number
from rnnsec.mpc.ring import BYTES_PER_ELEMENT, check_frac_bits, decode, encode, random_ring
from rnnsec.mpc.transcript import ONLINE, Message, Transcript

SERVER = "server"
KEY_BYTES = 32  # an X25519 public key, as in the paper's implementation
SEED_BYTES = 32  # a revealed pairwise seed (key-agreement output)
DROPOUT_POLICIES = ("recover", "refuse")


class DropoutError(RuntimeError):
    """Raised when clients dropped out and ``on_dropout="refuse"``."""


@dataclass(frozen=True, eq=False)
class SecureAggregationResult:
    """The aggregate and what it cost.

    Attributes:
        total: the sum of the included clients' (clipped, noised) updates, in the input's
            structure (an array, or a list of arrays).
        mean: ``total`` divided by the number of included clients.
        clients: number of clients that advertised keys.
        survivors: indices of the clients whose updates are in the sum.
        dropped: indices of the clients that dropped out after the key exchange.
        noise_multiplier: the requested multiplier (noise std of the full sum / clip_norm).
        effective_noise_multiplier: the multiplier the sum really carries,
            ``noise_multiplier * sqrt(survivors / clients)``.
        noise_std_per_client: each client's noise standard deviation.
        clip_norm: L2 clipping bound (None: no clipping).
        clipped: how many included updates were scaled down to ``clip_norm``.
        online_bytes: bytes sent by clients and server together.
        bytes_sent: bytes sent per party (``"client0"``, ..., ``"server"``).
        rounds: communication rounds (3, or 4 with dropout recovery).
        expansion: bytes sent divided by the bytes of sending the survivors' updates in the
            clear at the same width (8 bytes per coordinate).
        server_view: the masked vectors y_u the server received (uint64), per client index.
        transcript: every message.
    """

    total: object = field(repr=False)
    mean: object = field(repr=False)
    clients: int
    survivors: tuple
    dropped: tuple
    noise_multiplier: float
    effective_noise_multiplier: float
    noise_std_per_client: float
    clip_norm: float | None
    clipped: int
    online_bytes: int
    bytes_sent: dict = field(repr=False)
    rounds: int
    expansion: float
    server_view: dict = field(repr=False)
    transcript: Transcript = field(repr=False)

    def as_dict(self) -> dict:
        """Scalar fields for a table row."""
        keys = ("clients", "survivors", "dropped", "noise_multiplier",
                "effective_noise_multiplier", "noise_std_per_client", "clip_norm", "clipped",
                "online_bytes", "rounds", "expansion")
        return {k: getattr(self, k) for k in keys}


def _flatten(updates) -> tuple[np.ndarray, list | None]:
    """Stack per-client updates into [n, d]; remember the shapes of list-of-array updates."""
    if isinstance(updates, np.ndarray):
        if updates.ndim < 2:
            raise ValueError(f"updates must have one row per client (at least 2-D), got shape "
                             f"{updates.shape}")
        return updates.reshape(len(updates), -1), [updates.shape[1:]]
    if not isinstance(updates, list | tuple) or not updates:
        raise TypeError("updates must be an array [clients, ...] or a non-empty list with one "
                        "update (array or list of arrays) per client")
    first = updates[0]
    if isinstance(first, list | tuple):
        shapes = [np.shape(a) for a in first]
        rows = []
        for u, upd in enumerate(updates):
            if not isinstance(upd, list | tuple) or [np.shape(a) for a in upd] != shapes:
                raise ValueError(f"updates[{u}] must be a list of arrays with shapes {shapes} "
                                 "like updates[0]")
            rows.append(np.concatenate([np.ravel(np.asarray(a, dtype=np.float64))
                                        for a in upd]) if shapes else np.zeros(0))
        return np.stack(rows), ("list", shapes)
    shapes = {np.shape(u) for u in updates}
    if len(shapes) != 1:
        raise ValueError(f"updates must all have the same shape, got {sorted(shapes)}")
    return np.stack([np.ravel(np.asarray(u, dtype=np.float64)) for u in updates]), \
        [np.shape(updates[0])]


def _unflatten(vector: np.ndarray, layout) -> object:
    if isinstance(layout, tuple):  # ("list", shapes)
        out, offset = [], 0
        for shape in layout[1]:
            n = int(np.prod(shape))
            out.append(vector[offset:offset + n].reshape(shape))
            offset += n
        return out
    return vector.reshape(layout[0])


def _check_dropped(dropped, n: int) -> tuple:
    dropped = tuple(sorted({check_number("dropped", d, low=0, high=n - 1, integer=True)
                            for d in dropped}))
    return dropped


def _clip(rows: np.ndarray, clip_norm: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Scale rows with L2 norm above ``clip_norm`` down to it; return rows and a clipped mask."""
    if clip_norm is None:
        return rows, np.zeros(len(rows), dtype=bool)
    norms = np.linalg.norm(rows, axis=1)
    factor = np.minimum(1.0, clip_norm / np.maximum(norms, 1e-300))
    return rows * factor[:, None], norms > clip_norm


def secure_aggregate(updates, *, seed: int = 0, dropped=(), on_dropout: str = "recover",
                     clip_norm: float | None = None, noise_multiplier: float = 0.0,
                     frac_bits: int = 16, min_survivors: int = 2) -> SecureAggregationResult:
    """Sum the clients' updates so that the server sees only masked vectors and the total.

    Args:
        updates: one update per client: an array [clients, ...], or a list whose items are
            arrays of one shape or lists of arrays (e.g. Keras weight deltas).
        seed: seed of the pairwise seeds and of the clients' noise.
        dropped: client indices that drop out after advertising keys (their updates are lost).
        on_dropout: ``"recover"`` (survivors reveal their seeds with the dropped clients) or
            ``"refuse"`` (raise :class:`DropoutError`).
        clip_norm: clip each update to this L2 norm first (required when noise is added).
        noise_multiplier: distributed DP noise; the full sum carries
            N(0, (noise_multiplier * clip_norm)^2) per coordinate.
        frac_bits: fixed-point fractional bits, 1..30.
        min_survivors: refuse to reveal a sum of fewer clients (a sum of one is that client's
            update), at least 2.

    Returns:
        A :class:`SecureAggregationResult`.

    Bonawitz et al. (2017), simplified as the module docstring says; Chapter 3.3.
    """
    rows, layout = _flatten(updates)  # [n, d]
    n, dim = rows.shape
    if n < 2:
        raise ValueError(f"updates must hold at least 2 clients (one update each), got {n}")
    check_number("seed", seed, low=0, integer=True)
    check_frac_bits(frac_bits)
    check_choice("on_dropout", on_dropout, DROPOUT_POLICIES)
    check_number("noise_multiplier", noise_multiplier, low=0.0)
    if clip_norm is not None:
        check_number("clip_norm", clip_norm, low=0.0, low_open=True)
    elif noise_multiplier > 0:
        raise ValueError("clip_norm is required when noise_multiplier > 0 (the noise is "
                         "calibrated to the clipped sensitivity)")
    check_number("min_survivors", min_survivors, low=2, integer=True)
    dropped = _check_dropped(dropped, n)
    survivors = tuple(u for u in range(n) if u not in dropped)
    if dropped and on_dropout == "refuse":
        raise DropoutError(f"clients {list(dropped)} dropped out after the key exchange; their "
                           "pairwise masks cannot be removed without their seeds. Use "
                           "on_dropout='recover' to let the survivors reveal them.")
    if len(survivors) < min_survivors:
        raise ValueError(f"only {len(survivors)} clients survived; at least min_survivors="
                         f"{min_survivors} are needed so that the sum hides each update")
    encode(rows, frac_bits, name="updates")  # finiteness and range, before any clipping
    rows, clipped = _clip(rows, clip_norm)

    root = np.random.SeedSequence(seed)
    pair_seed_root, noise_root = root.spawn(2)
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    pair_seeds = dict(zip(pairs, pair_seed_root.spawn(len(pairs)), strict=True))
    noise_std = noise_multiplier * (clip_norm or 0.0) / np.sqrt(n)
    noise_rngs = [np.random.default_rng(c) for c in noise_root.spawn(n)]

    transcript = Transcript()
    names = [f"client{u}" for u in range(n)]

    def send(rnd: int, sender: str, receiver: str, nbytes: int, purpose: str) -> None:
        transcript.record(Message(rnd, ONLINE, sender, receiver, int(nbytes), purpose))

    # round 1: advertise keys (every client, including those that drop out later)
    for u in range(n):
        send(1, names[u], SERVER, KEY_BYTES, "advertise_key")
    for u in range(n):
        send(2, SERVER, names[u], KEY_BYTES * n, "keys")

    def mask(u: int, v: int) -> np.ndarray:
        return random_ring(np.random.default_rng(pair_seeds[(min(u, v), max(u, v))]), (dim,))

    # round 3: masked inputs from the survivors
    server_view, total = {}, np.zeros(dim, dtype=np.uint64)
    for u in survivors:
        noisy = rows[u] + (noise_rngs[u].normal(0.0, noise_std, size=dim) if noise_std else 0.0)
        y, _ = encode(noisy, frac_bits, name=f"updates[{u}] (after clipping and noise)",
                      integer=False)
        for v in range(n):
            if v != u:
                y = y + mask(u, v) if u < v else y - mask(u, v)
        server_view[u] = y
        total = total + y
        send(3, names[u], SERVER, dim * BYTES_PER_ELEMENT, "masked_input")

    # round 4: unmasking, only with dropouts: survivors reveal their seeds with dropped clients
    for d in dropped:
        for v in survivors:
            send(4, names[v], SERVER, SEED_BYTES, "reveal_seed")
            # v added +mask if v < d, -mask if v > d; the server undoes it
            total = total - mask(v, d) if v < d else total + mask(v, d)

    flat_total = decode(total, frac_bits)
    sent = dict.fromkeys(names + [SERVER], 0)
    for m in transcript.messages:
        sent[m.sender] += m.nbytes
    online = sum(sent.values())
    k = len(survivors)
    return SecureAggregationResult(
        total=_unflatten(flat_total, layout), mean=_unflatten(flat_total / k, layout),
        clients=n, survivors=survivors, dropped=dropped,
        noise_multiplier=float(noise_multiplier),
        effective_noise_multiplier=float(noise_multiplier * np.sqrt(k / n)),
        noise_std_per_client=float(noise_std), clip_norm=clip_norm,
        clipped=int(clipped[list(survivors)].sum()), online_bytes=online, bytes_sent=sent,
        rounds=len({m.round for m in transcript.messages}),
        expansion=online / (k * dim * BYTES_PER_ELEMENT) if dim else np.nan,
        server_view=server_view, transcript=transcript)
