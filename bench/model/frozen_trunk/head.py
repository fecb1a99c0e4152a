# A linear head on the frozen features, trained with identity proxies (normalised softmax,
# temperature 0.05, as qiss's proxy term) on apple, facebook and emojione; apple -> google scored.
# Train styles: apple, facebook, emojione (all identities). Test: apple query -> google gallery.
import numpy as np, torch, re, sys
torch.manual_seed(1); torch.set_num_threads(1)
def load(v): return np.fromfile(f'{v}.f32', dtype=np.float32).reshape(-1, 2560), open(f'{v}.txt').read().split()
tr = [load(v) for v in ('apple', 'facebook', 'emojione')]
names = sorted(set(n for _, ns in tr for n in ns)); nid = {n: i for i, n in enumerate(names)}
X = np.concatenate([f for f, _ in tr]); y = np.array([nid[n] for _, ns in tr for n in ns])
def prep(F): return np.sign(F) * np.sqrt(np.abs(F))
X = prep(X); mu = X.mean(0); sd = X.std(0) + 1e-3
Xt = torch.tensor((X - mu) / sd); yt = torch.tensor(y)
hidden = int(sys.argv[1]) if len(sys.argv) > 1 else 0  # 0: linear; N: one hidden layer of N
D = 256
head = torch.nn.Sequential(torch.nn.Dropout(0.3), torch.nn.Linear(2560, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, D)) if hidden else torch.nn.Sequential(torch.nn.Dropout(0.3), torch.nn.Linear(2560, D))
proxies = torch.nn.Parameter(torch.randn(len(names), D) * 0.01)
opt = torch.optim.AdamW(list(head.parameters()) + [proxies], lr=2e-3, weight_decay=1e-4)
q, qn = load('q'); g, gn = load('g')
gi = {n: i for i, n in enumerate(gn)}; tgt = np.array([gi[n] for n in qn])
def base(n): return re.sub(r'-1f3f[b-f]', '', n)
def evaluate():
    head.eval()
    with torch.no_grad():
        Q = torch.nn.functional.normalize(head(torch.tensor((prep(q) - mu) / sd)), dim=1)
        G = torch.nn.functional.normalize(head(torch.tensor((prep(g) - mu) / sd)), dim=1)
        order = torch.argsort(-(Q @ G.T), dim=1)[:, :10].numpy()
    head.train()
    r1 = np.mean(order[:, 0] == tgt); r10 = np.mean([t in o for t, o in zip(tgt, order)])
    m1 = np.mean([base(gn[o[0]]) == base(n) for o, n in zip(order, qn)])
    return f'R@1 {r1:.3f} R@10 {r10:.3f} merged R@1 {m1:.3f}'
for ep in range(30):
    perm = torch.randperm(len(yt))
    for i in range(0, len(perm), 256):
        b = perm[i:i + 256]
        e = torch.nn.functional.normalize(head(Xt[b] + 0.1 * torch.randn_like(Xt[b])), dim=1)
        logits = e @ torch.nn.functional.normalize(proxies, dim=1).T / 0.05
        loss = torch.nn.functional.cross_entropy(logits, yt[b])
        opt.zero_grad(); loss.backward(); opt.step()
    if ep % 5 == 4: print(ep + 1, f'loss {loss.item():.3f}', evaluate(), flush=True)
