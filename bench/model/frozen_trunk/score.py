# apple -> google image->image recall of the frozen features: raw, square-rooted, PCA-whitened.
import re
import numpy as np

def load(n): return np.fromfile(f'{n}.f32', dtype=np.float32).reshape(-1, 2560), open(f'{n}.txt').read().split()
q, qn = load('q'); g, gn = load('g')
def base(n): return re.sub(r'-1f3f[b-f]', '', n)  # skin-tone variants merged
gi = {n: i for i, n in enumerate(gn)}; tgt = np.array([gi[n] for n in qn])
def run(name, Q, G):
    Q = Q / np.linalg.norm(Q, axis=1, keepdims=True); G = G / np.linalg.norm(G, axis=1, keepdims=True)
    order = np.argsort(-(Q @ G.T), axis=1)[:, :10]
    r1 = np.mean(order[:, 0] == tgt); r10 = np.mean([t in o for t, o in zip(tgt, order)])
    m1 = np.mean([base(gn[o[0]]) == base(n) for o, n in zip(order, qn)])
    print(f'| {name} | {r1:.3f} | {r10:.3f} | {m1:.3f} |')
def pw(X): return np.sign(X) * np.sqrt(np.abs(X))
print('| features | R@1 | R@10 | R@1, skin tones merged |\n|---|---|---|---|')
for nm, sl in [('mean', slice(0, 1280)), ('GeM', slice(1280, 2560)), ('mean + GeM', slice(0, 2560))]:
    run(nm, q[:, sl], g[:, sl]); run(nm + ', square root', pw(q[:, sl]), pw(g[:, sl]))
X = pw(q[:, 1280:]); mu = X.mean(0); _, S, Vt = np.linalg.svd(X - mu, full_matrices=False)
for k in (128, 256, 512):
    W = Vt[:k].T / (S[:k] + S[0] * 0.05)
    run(f'GeM, square root, PCA-whitened to {k} (fitted on the apple queries)', (X - mu) @ W, (pw(g[:, 1280:]) - mu) @ W)
