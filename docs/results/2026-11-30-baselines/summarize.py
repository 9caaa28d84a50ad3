#!/usr/bin/env python3
"""Results table of the baselines runs: for each method, the run (or the grid's best run, per OUT/grid.csv)
with its final validation/test metric and LR statistics from steps.csv. Usage: summarize.py OUT/fmnist|OUT/ptb"""
import csv, math, os, sys

root = sys.argv[1]
text = os.path.basename(root.rstrip('/')) == 'ptb'

def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))

def num(x):
    try: return float(x)
    except (TypeError, ValueError): return None

print('| method | swept value (best) | grid | final val %s | final test %s | LR first / min / max / last |' % (('ppl',) * 2 if text else ('acc',) * 2))
print('|---|---|---|---|---|---|')
for method in sorted(os.listdir(root)):
    d = os.path.join(root, method)
    if not os.path.isdir(d) or method == 'curves': continue
    grid, best, gridtext = os.path.join(d, 'grid.csv'), d, ''
    if os.path.exists(grid):
        g = rows(grid)
        key = list(g[0].keys())[0]
        parts = []
        for r in g:
            v = r['final_validation'] or r['final_test']
            if not text and v: v = '%.1f%%' % (100 * float(v))
            if text and v and float(v) > 1e6: v = 'blew up (ppl > 1e6, LR %.3g)' % float(r['final_lr'])
            parts.append('%s: %s' % (r[key], 'diverged' if r['diverged'] == 'true' else v))
            if r['best'] == 'true': best = os.path.join(d, '%s-%s' % (key, r[key])); value = r[key]
        gridtext = '; '.join(parts)
    else:
        value = ''
    ep = rows(os.path.join(best, 'epochs.csv'))
    if not ep:
        print('| %s | %s | %s | – | – | – |' % (method, value, gridtext)); continue
    last = ep[-1]
    if text:
        v, t = num(last['val_perplexity']), num(last['test_perplexity'])
        fmt = lambda x: '%.1f' % x if x is not None else '–'
    else:
        v, t = num(last['val_accuracy']), num(last['test_accuracy'])
        fmt = lambda x: '%.2f%%' % (100 * x) if x is not None else '–'
    lrs = [num(r['lr']) for r in rows(os.path.join(best, 'steps.csv'))]
    lrs = [x for x in lrs if x is not None]
    lr = '%.3g / %.3g / %.3g / %.3g' % (lrs[0], min(lrs), max(lrs), lrs[-1]) if lrs else '–'
    print('| %s | %s | %s | %s | %s | %s |' % (method, value, gridtext, fmt(v), fmt(t), lr))
    os.makedirs(os.path.join(root, 'curves'), exist_ok=True)
    link = os.path.join(root, 'curves', method)
    if os.path.islink(link): os.remove(link)
    os.symlink(os.path.abspath(best), link)
