"""Trained policies in numpy: load_policy reads what `mrasim export`
writes and computes the Go player's action probabilities without Go: MRA's
(mra.Player's ActionProbs; Policy) and MAPPO's or IPPO's actors
(MAPPOPolicy, see its documentation).

For agent i of a population with type counts c (descriptor m = c / 10):

    rows      self row s_i and entity rows x_ij, zero-padded blocks tagged
              with one-hot set, type and self flag (mra.Features; untagged
              when "plain")
    prior     p(z = k | m) = softmax(prior(m) / T)          (T = prior_temperature)
    graph     g_ijk = softmax_j over present j of scale · key_k(s_i) · query_k(x_ij)
              (key_k, query_k: head k of the K·HeadDim outputs; 0 when none present)
    policy    π_k(a | o_i) = softmax(head_t(Σ_j g_ijk · value_t(x_ij)))
              (head_t takes [e ; s_i] when policy_sees_self)
    P(a)      = Σ_k p(z = k | m) · π_k(a | o_i)

Every MLP is Linear → ReLU → … → Linear with W of shape Out×In.
"""

import json

import numpy as np

FORMAT = "mrasim-mra-policy/1"
MAPPO_FORMAT = "mrasim-mappo-policy/1"


def _mlp(layers, x):
    for k, (W, b) in enumerate(layers):
        x = x @ W.T + b
        if k + 1 < len(layers):
            x = np.maximum(x, 0)
    return x


def _softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


class Policy:
    """A trained MRA policy: see the module documentation for the maths.

    spec is the game spec of a population, as the environments give it
    (env.spec_info["spec"] of a ParallelEnv, venv.populations[k]["spec"] of
    a VectorEnv): it says where each agent's entity blocks lie.
    """

    def __init__(self, arrays, meta):
        if meta.get("format") != FORMAT:
            raise ValueError(f"mrasim.load_policy: format {meta.get('format')!r}, want {FORMAT!r} (written by mrasim export)")
        self.meta = meta
        f = meta["features"]
        self.plain, self.pad, self.sets, self.types = f["plain"], f["pad"], f["sets"], f["types"]
        self.actions, self.D, self.A = f["actions"], f["d"], f["a"]
        self.K, self.head_dim = meta["latents"], meta["head_dim"]
        self.scale, self.temperature = meta["scale"], meta["prior_temperature"]
        self.sees_self = meta["policy_sees_self"]

        def mlp(prefix):
            layers, k = [], 0
            while f"{prefix}.{k}.W" in arrays:
                layers.append((np.asarray(arrays[f"{prefix}.{k}.W"]), np.asarray(arrays[f"{prefix}.{k}.b"])))
                k += 1
            if not layers:
                raise ValueError(f"mrasim.load_policy: no layers {prefix}.* in the archive")
            return layers
        self.key, self.query, self.prior_net = mlp("relation.key"), mlp("relation.query"), mlp("prior")
        self.value = [mlp(f"policy.{t}.value") for t in range(len(self.types))]
        self.head = [mlp(f"policy.{t}.head") for t in range(len(self.types))]
        self._enc = {}

    def prior(self, spec):
        """p(z | m) over the K modes at spec's population."""
        m = np.array([tc["Count"] / 10 for tc in spec["Population"]], np.float64)
        return _softmax(_mlp(self.prior_net, m) / self.temperature)

    def _encoding(self, spec):
        """Per agent: type index and, per entity row, (observation offset,
        width, set index, entity-mask index)."""
        key = json.dumps(spec["Population"])
        enc = self._enc.get(key)
        if enc is not None:
            return enc
        names = [t["Name"] for t in spec["Types"]]
        if names != self.types:
            raise ValueError(f"mrasim: the population has types {names}, the policy was trained on {self.types}")
        agents, E = [], 0
        for k, t in enumerate(spec["Types"]):
            if t["NumActions"] != self.actions[k]:
                raise ValueError(f"mrasim: type {t['Name']} has {t['NumActions']} actions, the policy {self.actions[k]}")
            slots, off, mask = [], t["Self"], 0
            for s in t["Sets"] or []:
                if s["Name"] not in self.sets or s["Width"] > self.pad:
                    raise ValueError(f"mrasim: set {s['Name']} (width {s['Width']}) is not one the policy was built for ({self.sets}, width ≤ {self.pad})")
                for c in range(s["Count"]):
                    slots.append((off + c * s["Width"], s["Width"], self.sets.index(s["Name"]), mask))
                    mask += 1
                off += s["Width"] * s["Count"]
            E = max(E, len(slots))
            agents += [(k, t["Self"], slots)] * t["Count"]
        enc = (agents, max(E, 1))
        self._enc[key] = enc
        return enc

    def encode(self, spec, obs, entity_mask):
        """The rows of every agent: self (N×D), entities (N×E×D), present
        (N×E). obs is N×W (each agent's observation at the start of its
        row), entity_mask N×E' (its mask likewise)."""
        agents, E = self._encoding(spec)
        N, D, P = len(agents), self.D, self.pad
        self_rows = np.zeros((N, D))
        ents = np.zeros((N, E, D))
        present = np.zeros((N, E), np.bool_)
        obs = np.asarray(obs, np.float64)
        for i, (k, sw, slots) in enumerate(agents):
            self_rows[i, :sw] = obs[i, :sw]
            if not self.plain:
                self_rows[i, P + len(self.sets) + k] = 1
                self_rows[i, D - 1] = 1
            for e, (off, w, s, m) in enumerate(slots):
                ents[i, e, :w] = obs[i, off:off + w]
                if not self.plain:
                    ents[i, e, P + s] = 1
                present[i, e] = entity_mask[i][m]
        return self_rows, ents, present

    def action_probs(self, spec, obs, entity_mask, modes=None):
        """Action probabilities of every agent (N×A; zero past a type's
        actions), averaged over each agent's latent mode with weights modes
        (K, default: the prior p(z | m) of the population), as the Go player
        computes them."""
        agents, E = self._encoding(spec)
        s, x, present = self.encode(spec, obs, entity_mask)
        w = self.prior(spec) if modes is None else np.asarray(modes, np.float64)
        N, K, H = len(agents), self.K, self.head_dim
        keys = _mlp(self.key, s).reshape(N, K, H)
        queries = _mlp(self.query, x).reshape(N, E, K, H)
        scores = self.scale * np.einsum("nkh,nekh->nke", keys, queries)
        scores = np.where(present[:, None, :], scores, -np.inf)
        top = np.max(scores, axis=-1, keepdims=True)
        ex = np.where(present[:, None, :], np.exp(scores - np.where(np.isfinite(top), top, 0)), 0.0)
        tot = ex.sum(axis=-1, keepdims=True)
        g = np.divide(ex, tot, out=np.zeros_like(ex), where=tot > 0)  # N×K×E
        out = np.zeros((N, self.A))
        types = np.array([a[0] for a in agents])
        for t in range(len(self.types)):
            rows = np.flatnonzero(types == t)
            if len(rows) == 0:
                continue
            v = _mlp(self.value[t], x[rows])                 # n×E×V
            emb = np.einsum("nke,nev->nkv", g[rows], v)      # n×K×V
            if self.sees_self:
                emb = np.concatenate([emb, np.broadcast_to(s[rows][:, None, :], emb.shape[:2] + (self.D,))], axis=-1)
            pi = _softmax(_mlp(self.head[t], emb))           # n×K×A_t
            out[rows, :pi.shape[-1]] = np.einsum("k,nka->na", w, pi)
        return out

    def act(self, spec, obs, entity_mask, rng, action_mask=None):
        """Actions drawn from action_probs (restricted to legal actions when
        action_mask, N×A, is given): an int64 array of N."""
        p = self.action_probs(spec, obs, entity_mask)
        if action_mask is not None:
            p = p * np.asarray(action_mask)[:, :p.shape[1]]
            p = p / p.sum(axis=1, keepdims=True)
        c = p.cumsum(axis=1)
        u = rng.random((p.shape[0], 1)) * c[:, -1:]
        return np.minimum((u > c).sum(axis=1), p.shape[1] - 1).astype(np.int64)

    def check(self):
        """The largest difference between these probabilities and the Go
        player's on the frames `mrasim export` recorded."""
        ck = self.checks
        return max(float(np.max(np.abs(self.action_probs(ck["spec"], o, m) - p)))
                   for o, m, p in zip(ck["obs"], ck["entity_mask"], ck["probs"]))


class MAPPOPolicy(Policy):
    """A trained MAPPO (or IPPO) actor (format mrasim-mappo-policy/1), as
    mappo.ExportPolicy documents it. For an agent of type t with self row s
    and entity rows x_j (the rows Policy.encode makes):

        a         = self_t(s),  k_j = ent_t(x_j)
        per set   m_j = present_j and (x_j tagged with the set, or untagged),
                  c = sum m_j, w_j = 1/c ("deepsets") or softmax over m of
                  scale * a . k_j ("attention"), mu = sum w_j k_j;
                  features mu ("mean"), c mu ("sum") or [mu, ln(1 + c)]
                  ("mean+logcount"), zeros for an empty set
        P(a)      = softmax(head_t([a | set 1 | ... | set S]))
    """

    def __init__(self, arrays, meta):
        if meta.get("format") != MAPPO_FORMAT:
            raise ValueError(f"mrasim.load_policy: format {meta.get('format')!r}, want {MAPPO_FORMAT!r} (written by mrasim export)")
        self.meta = meta
        f = meta["features"]
        self.plain, self.pad, self.sets, self.types = f["plain"], f["pad"], f["sets"], f["types"]
        self.actions, self.D, self.A = f["actions"], f["d"], f["a"]
        self.encoder, self.pooling, self.scale = meta["encoder"], meta["pooling"], meta["scale"]
        self.tagged = meta["tagged"]

        def mlp(prefix):
            layers, k = [], 0
            while f"{prefix}.{k}.W" in arrays:
                layers.append((np.asarray(arrays[f"{prefix}.{k}.W"]), np.asarray(arrays[f"{prefix}.{k}.b"])))
                k += 1
            if not layers:
                raise ValueError(f"mrasim.load_policy: no layers {prefix}.* in the archive")
            return layers
        self.self_net = [mlp(f"actor.{t}.self") for t in range(len(self.types))]
        self.ent_net = [mlp(f"actor.{t}.ent") for t in range(len(self.types))]
        self.head = [mlp(f"actor.{t}.head") for t in range(len(self.types))]
        self._enc = {}

    def action_probs(self, spec, obs, entity_mask, modes=None):
        """Action probabilities of every agent (N x A; zero past a type's
        actions), as the Go player computes them (modes is not used)."""
        agents, E = self._encoding(spec)
        s, x, present = self.encode(spec, obs, entity_mask)
        N = len(agents)
        out = np.zeros((N, self.A))
        types = np.array([a[0] for a in agents])
        S = len(self.sets) if self.tagged else 1
        for t in range(len(self.types)):
            rows = np.flatnonzero(types == t)
            if len(rows) == 0:
                continue
            a = _mlp(self.self_net[t], s[rows])              # n x H
            k = _mlp(self.ent_net[t], x[rows])               # n x E x H
            feats = [a]
            for st in range(S):
                m = present[rows]
                if self.tagged:
                    m = m & (x[rows][:, :, self.pad + st] > 0.5)
                c = m.sum(axis=1).astype(np.float64)         # n
                if self.encoder == "attention":
                    sc = self.scale * np.einsum("nh,neh->ne", a, k)
                    sc = np.where(m, sc, -np.inf)
                    top = np.max(sc, axis=1, keepdims=True)
                    ex = np.where(m, np.exp(sc - np.where(np.isfinite(top), top, 0)), 0.0)
                    tot = ex.sum(axis=1, keepdims=True)
                    w = np.divide(ex, tot, out=np.zeros_like(ex), where=tot > 0)
                else:
                    w = np.divide(m.astype(np.float64), c[:, None], out=np.zeros(m.shape), where=c[:, None] > 0)
                mu = np.einsum("ne,neh->nh", w, k)
                if self.pooling == "sum":
                    mu = mu * c[:, None]
                elif self.pooling == "mean+logcount":
                    mu = np.concatenate([mu, np.log1p(c)[:, None]], axis=1)
                feats.append(mu)
            pi = _softmax(_mlp(self.head[t], np.concatenate(feats, axis=1)))
            out[rows, :pi.shape[-1]] = pi
        return out


def load_policy(path):
    """Read a policy written by `mrasim export` (numpy only)."""
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(bytes(arrays.pop("meta.json")).decode())
    p = MAPPOPolicy(arrays, meta) if meta.get("format") == MAPPO_FORMAT else Policy(arrays, meta)
    if "check.spec.json" in arrays:
        p.checks = {"spec": json.loads(bytes(arrays["check.spec.json"]).decode()), "obs": arrays["check.obs"],
                    "entity_mask": arrays["check.entity_mask"], "probs": arrays["check.probs"]}
    return p
