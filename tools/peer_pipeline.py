#!/usr/bin/python3
"""The peer of ghiblify's pipeline: what a user would otherwise script with Python, OpenCV
and ONNX Runtime. Used by tools/bench-pipeline; runnable on its own:

    /usr/bin/python3 tools/peer_pipeline.py IN.jpg OUT.jpg [--threads 2]
        [--ghiblify build/ghiblify | --help-file HELP.txt] [--stages a,b]
        [--model models/AnimeGANv3_Hayao_36.onnx] [--upsample jbf|guided|cubic]

Stages and their parameters come from ghiblify's --help: the peer runs exactly the stages
listed under "Stages, in pipeline order" that are not marked "(off by default)", in that
order, with the defaults printed under "Stage parameters" (--stages overrides the list).
Each stage is one function in STAGES, keyed by ghiblify's stage name; stages ghiblify does
not have yet (color) are there too, for when it gets them. The image is float32 RGB in
[0, 1], HWC, throughout (ghiblify's is planar float32 RGB in [0, 1]).

  resize    cv2.resize INTER_AREA to --size on the long side (lround, as ghiblify)
  denoise   cv2.bilateralFilter(d 0 (radius = round(1.5 sigma-space), as ghiblify),
            sigma-color / 255, sigma-space); gaussian: cv2.GaussianBlur
  edges     cv2.Canny on the 8-bit luma, pixels darkened by strength
  stylize   ONNX Runtime (tools/peer_ort.mjs, session loaded once, intra-op threads =
            --threads): padded by reflection (bottom/right) to a multiple of 8 (at least 16),
            input x*2-1 NHWC, output (y+1)/2, cropped back
  segments  skimage.segmentation.slic + mean color per region
  palette   cv2.kmeans (k-means++, 1 attempt) on a 65536-pixel sample in Lab, soft assignment
            (exp(-d^2 / 2 softness^2)) of the chroma (a, b) in chroma mode
  transfer  Reinhard in Lab (cv2.cvtColor), statistics moved `amount` toward the target
  histmatch Lab channels mapped by rank onto sorted normal samples, blended by amount
  color     (not a ghiblify stage yet) Lab chroma a, b scaled by 1.2
  texture   no OpenCV equivalent of the generalized Kuwahara filter (cv2.xphoto.oilPainting is a
            different, histogram-mode filter): skipped, and said so
  lines     XDoG: two cv2.GaussianBlur of the luma, tanh ramp, image darkened by strength
  upsample  cv2.resize INTER_LINEAR to the photo's size, then
            cv2.ximgproc.jointBilateralFilter guided by the full-size photo (d = 2 round(radius
            * scale) + 1, sigmaSpace = sigma-spatial * scale, sigmaColor = sigma-range): the
            OpenCV call closest to joint bilateral upsampling (--upsample jbf, default when
            cv2.ximgproc exists); guided: cv2.ximgproc.guidedFilter (radius round(scale),
            eps sigma-range^2); cubic: cv2.resize INTER_CUBIC (used when cv2.ximgproc is missing)

Prints (stdout): "peer stage=NAME ms=X" per stage (io_decode: cv2.imread + to float RGB;
io_encode: to 8-bit BGR + cv2.imwrite JPEG quality 92), "peer setup_ms=X" (node start and
session load, before the clock starts), "peer total_ms=X" (decode to encoded file),
"peer rss self_mb=X node_mb=Y" (peak RSS of this process and of the node child), and notes
"peer note ...".
"""
import argparse
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- ghiblify's --help ---------------------------------------------------------------------
def parse_help(text):
    """Returns ([(stage, on_by_default)], {stage: {param: default string}}) from --help text."""
    stages, params = [], {}
    section = None
    for line in text.splitlines():
        if line.startswith("Stages, in pipeline order"):
            section = "stages"
            continue
        if line.startswith("Stage parameters"):
            section = "params"
            continue
        if not line.startswith(" "):  # a blank line or another heading ends a section
            section = None
            continue
        if section == "stages":
            m = re.match(r"^\s+([a-z][a-z0-9_-]*)\s+(.*)$", line)
            if m:
                stages.append((m.group(1), "(off by default)" not in m.group(2)))
        elif section == "params":
            m = re.match(r"^\s+--([a-z0-9-]+)\s+(?:[A-Z]+\s+)?([a-z0-9_-]+): .*\(default: ([^;)]*)", line)
            if m:
                opt, stage, default = m.groups()
                name = opt[len(stage) + 1:] if opt.startswith(stage + "-") else opt
                params.setdefault(stage, {})[name] = default.strip()
    return stages, params


def num(p, name, fallback):
    try:
        return float(p.get(name, fallback))
    except ValueError:
        return float(fallback)


# ---- helpers -------------------------------------------------------------------------------
def luma(img):
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def darken(img, mask):
    """img * mask per pixel (mask HxW in [0, 1])."""
    return img * mask[:, :, None]


class Ort:
    """The node helper, started once; stylize() sends it raw float32 files."""

    def __init__(self, model, threads, tmp):
        self.tmp = tmp
        self.proc = subprocess.Popen(["node", os.path.join(ROOT, "tools", "peer_ort.mjs"), model,
                                      "--threads", str(threads)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            sys.exit(f"peer_pipeline: the ORT helper did not start ({line!r}); "
                     "is onnxruntime-node installed in /tmp/ortnode?")

    def run(self, x):
        h, w = x.shape[1:3]
        src, dst = os.path.join(self.tmp, "in.f32"), os.path.join(self.tmp, "out.f32")
        x.astype("<f4").tofile(src)
        self.proc.stdin.write(f"{h} {w} {src} {dst}\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line.startswith("done"):
            sys.exit("peer_pipeline: the ORT helper failed")
        return np.fromfile(dst, "<f4").reshape(1, h, w, 3)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


# ---- stages: f(img, ctx, params) -> img ------------------------------------------------------
def st_resize(img, ctx, p):
    size = int(num(p, "size", 1024))
    h, w = img.shape[:2]
    if max(w, h) <= size:
        out = img.copy()
    else:
        s = size / max(w, h)
        nw, nh = max(1, int(math.floor(w * s + 0.5))), max(1, int(math.floor(h * s + 0.5)))
        out = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
    ctx["working"] = out
    return out


def st_denoise(img, ctx, p):
    method = p.get("method", "bilateral")
    if method in ("gaussian", "both"):
        img = cv2.GaussianBlur(img, (0, 0), num(p, "sigma", 0.8))
        if method == "gaussian":
            return img
    return cv2.bilateralFilter(img, int(num(p, "diameter", 0)), num(p, "sigma-color", 20) / 255.0,
                               num(p, "sigma-space", 2))


def st_edges(img, ctx, p):
    g = luma(img)
    sigma = num(p, "sigma", 0)
    if sigma > 0:
        g = cv2.GaussianBlur(g, (0, 0), sigma)
    g8 = np.clip(g * 255 + 0.5, 0, 255).astype(np.uint8)
    e = cv2.Canny(g8, num(p, "low", 50), num(p, "high", 150), L2gradient=p.get("gradient") == "l2")
    return darken(img, 1.0 - num(p, "strength", 1) * (e.astype(np.float32) / 255))


def st_stylize(img, ctx, p):
    m = int(num(p, "multiple", 0)) or 8
    h, w = img.shape[:2]
    minside = max(2 * m, 16)
    ph, pw = max(-(-h // m) * m, minside), max(-(-w // m) * m, minside)
    x = img if (ph, pw) == (h, w) else cv2.copyMakeBorder(img, 0, ph - h, 0, pw - w, cv2.BORDER_REFLECT_101)
    y = ctx["ort"].run((x * 2 - 1)[None])
    return np.ascontiguousarray((y[0, :h, :w] + 1) * 0.5)


def st_segments(img, ctx, p):
    import skimage.segmentation
    labels = skimage.segmentation.slic(img, n_segments=int(num(p, "count", 1500)),
                                       compactness=num(p, "compactness", 10),
                                       max_num_iter=int(num(p, "iterations", 10)), start_label=0)
    n = labels.max() + 1
    flat = labels.ravel()
    cnt = np.maximum(np.bincount(flat, minlength=n), 1)
    means = np.stack([np.bincount(flat, img[:, :, c].ravel(), n) / cnt for c in range(3)], 1)
    mix = num(p, "mix", 1)
    return (img * (1 - mix) + means[labels].astype(np.float32) * mix).astype(np.float32)


def st_palette(img, ctx, p):
    k = int(num(p, "colors", 12))
    soft = num(p, "softness", 8)
    chroma = p.get("mode", "chroma") == "chroma"
    lab = cv2.cvtColor(img, cv2.COLOR_RGB2Lab)
    pix = lab.reshape(-1, 3)
    n = int(num(p, "samples", 65536)) or len(pix)
    rng = np.random.default_rng(int(num(p, "seed", 1)))
    sample = pix[rng.choice(len(pix), min(n, len(pix)), replace=False)] if n < len(pix) else pix
    cv2.setRNGSeed(int(num(p, "seed", 1)))
    crit = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 100, 1e-4)
    _, _, centers = cv2.kmeans(np.ascontiguousarray(sample, np.float32), k, None, crit, 1,
                               cv2.KMEANS_PP_CENTERS)
    cols = slice(1, 3) if chroma else slice(0, 3)
    d2 = ((pix[:, None, cols] - centers[None, :, cols]) ** 2).sum(-1)
    if soft > 0:
        wgt = np.exp(-(d2 - d2.min(1, keepdims=True)) / (2 * soft * soft))
        new = (wgt @ centers) / wgt.sum(1, keepdims=True)
    else:
        new = centers[d2.argmin(1)]
    out = pix.copy()
    out[:, cols] = new[:, cols]
    return cv2.cvtColor(out.reshape(lab.shape).astype(np.float32), cv2.COLOR_Lab2RGB)


def st_transfer(img, ctx, p):
    lab = cv2.cvtColor(img, cv2.COLOR_RGB2Lab)
    m, sd = (v.ravel().astype(np.float32) for v in cv2.meanStdDev(lab))
    tm = np.array([num(p, c + "-mean", 0) for c in "lab"], np.float32)
    ts = np.array([num(p, c + "-std", 1) for c in "lab"], np.float32)
    a = num(p, "amount", 0.5)
    tm, ts = m + a * (tm - m), sd + a * (ts - sd)
    return cv2.cvtColor((lab - m) * (ts / np.maximum(sd, 1e-6)) + tm, cv2.COLOR_Lab2RGB)


def st_histmatch(img, ctx, p):
    lab = cv2.cvtColor(img, cv2.COLOR_RGB2Lab)
    a = num(p, "amount", 0.5)
    rng = np.random.default_rng(1)
    out = lab.copy()
    for c, ch in enumerate("lab"):
        v = lab[:, :, c].ravel()
        target = np.sort(rng.normal(num(p, ch + "-mean", 0), num(p, ch + "-std", 1), v.size))
        matched = np.empty_like(v)
        matched[np.argsort(v, kind="stable")] = target
        out[:, :, c] = (v * (1 - a) + matched * a).reshape(lab.shape[:2])
    return cv2.cvtColor(out.astype(np.float32), cv2.COLOR_Lab2RGB)


def st_color(img, ctx, p):
    lab = cv2.cvtColor(img, cv2.COLOR_RGB2Lab)
    lab[:, :, 1:] *= num(p, "chroma", 1.2)
    return cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)


def st_lines(img, ctx, p):
    g = luma(img)
    s, k = num(p, "sigma", 1), num(p, "k", 1.6)
    d = cv2.GaussianBlur(g, (0, 0), s) - num(p, "tau", 0.98) * cv2.GaussianBlur(g, (0, 0), s * k)
    eps, phi = num(p, "epsilon", 0.005), num(p, "phi", 200)
    xdog = np.where(d >= eps, 1.0, 1.0 + np.tanh(phi * (d - eps))).astype(np.float32)
    return darken(img, 1.0 - num(p, "strength", 0.7) * (1.0 - xdog))


def st_upsample(img, ctx, p):
    photo = ctx["photo"]
    H, W = photo.shape[:2]
    h, w = img.shape[:2]
    if (h, w) == (H, W):
        return img.copy()
    method = ctx["upsample"]
    if method == "cubic":
        return cv2.resize(img, (W, H), interpolation=cv2.INTER_CUBIC)
    scale = W / w
    up = cv2.resize(img, (W, H), interpolation=cv2.INTER_LINEAR)
    if method == "guided":
        return cv2.ximgproc.guidedFilter(photo, up, max(1, round(scale)), num(p, "sigma-range", 0.1) ** 2)
    r = int(num(p, "radius", 1))
    return cv2.ximgproc.jointBilateralFilter(photo, up, 2 * round(r * scale) + 1, num(p, "sigma-range", 0.1),
                                             num(p, "sigma-spatial", 0.6) * scale)


def sky_mask(ctx):
    """What a script would do: bright or blue, smooth pixels 4-connected to the
    top row (a flood fill), softened by a guided filter on the photo."""
    if "sky" in ctx:
        return ctx["sky"]
    img = ctx["working"]
    g = luma(img)
    grad = cv2.blur(np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(g, cv2.CV_32F, 0, 1)), (3, 3))
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    cand = (grad < 0.08) & (((g > 0.35) & (hsv[:, :, 1] < 0.3)) | ((img[:, :, 2] > img[:, :, 0]) & (g > 0.12)))
    n, labels = cv2.connectedComponents(cand.astype(np.uint8), connectivity=4)
    top = np.unique(labels[0][cand[0]])
    mask = np.isin(labels, top[top > 0]).astype(np.float32)
    if hasattr(cv2, "ximgproc"):
        mask = cv2.ximgproc.guidedFilter(img, mask, 4, 1e-3)
    ctx["sky"] = np.clip(mask, 0, 1)
    return ctx["sky"]


def st_skysmooth(img, ctx, p):
    if not hasattr(cv2, "ximgproc"):
        return img
    r = max(1, round(num(p, "radius", 16) * max(img.shape[:2]) / 1024))
    eps = (num(p, "eps", 4) / 255) ** 2
    m = sky_mask(ctx)[:, :, None] * num(p, "amount", 1)
    return img + m * (cv2.ximgproc.guidedFilter(img, img, r, eps) - img)


def st_dither(img, ctx, p):
    a = num(p, "amount", 1.5) / 255
    rng = np.random.default_rng(1)
    noise = (rng.random(img.shape, np.float32) + rng.random(img.shape, np.float32) - 1) * a
    g = luma(img)
    grad = cv2.GaussianBlur(np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(g, cv2.CV_32F, 0, 1)), (0, 0), 2)
    flat = num(p, "flat", 2) / 255
    w = np.clip(2 - grad / flat, 0, 1)[:, :, None]
    return img + noise * w


def st_depth(img, ctx, p):
    """The built-in depth estimate written with OpenCV and numpy: the same cues and constants
    (src/ops/depth.c), dark channel by cv2.erode, texture by Sobel + boxFilter, refinement by
    ximgproc.guidedFilter on the photo's luma."""
    photo = ctx.get("working", img)
    sky = sky_mask(ctx)
    h, w = photo.shape[:2]
    s = min(1.0, 256 / max(h, w))
    sw, sh = max(1, round(w * s)), max(1, round(h * s))
    small = cv2.resize(photo, (sw, sh), interpolation=cv2.INTER_AREA)
    ssky = cv2.resize(sky, (sw, sh), interpolation=cv2.INTER_AREA)
    dark = cv2.erode(small.min(axis=2), np.ones((7, 7), np.uint8))
    g = luma(small)
    tex = cv2.boxFilter(np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=1), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=1)),
                        -1, (13, 13))
    land = ssky < 0.5
    air = max(np.quantile(dark[land], 0.999), 0.05) if land.any() else 1
    busy = max(np.quantile(tex[land], 0.95), 1e-4) if land.any() else 1
    pos = (1 - np.arange(sh, dtype=np.float32) / max(sh - 1, 1))[:, None]
    far = 0.5 * pos + 0.3 * np.minimum(dark / air, 1) + 0.2 * (1 - np.minimum(tex / busy, 1))
    far = cv2.GaussianBlur(far.astype(np.float32), (0, 0), 6 * max(sh, sw) / 256)
    lo, hi = (np.quantile(far[land], [0.02, 0.98]) if land.any() else (0, 1))
    far = 0.85 * np.clip((far - lo) / max(hi - lo, 1e-4), 0, 1)
    far = cv2.resize(far, (w, h), interpolation=cv2.INTER_LINEAR)
    depth = 1 - (far * (1 - sky) + sky)
    if hasattr(cv2, "ximgproc"):
        depth = cv2.ximgproc.guidedFilter(luma(photo), depth.astype(np.float32), max(2, round(max(h, w) / 64)), 1e-3)
    ctx["depth"] = np.clip(depth, 0, 1)
    return img


def st_fog(img, ctx, p):
    """Fog as src/stages/fog.c: gated by the sky's share and a landscape-like horizon, weight
    land x band below each column's horizon x smoothstep(near, 1, farness), veil toward the
    horizon sky's light, b* shift in Lab."""
    amount = num(p, "fog", num(p, "amount", 0.4))
    if "depth" not in ctx:
        st_depth(img, ctx, p)
    sky, depth = sky_mask(ctx), ctx["depth"]
    h, w = sky.shape
    sm = lambda lo, hi, v: (lambda t: t * t * (3 - 2 * t))(np.clip((v - lo) / (hi - lo), 0, 1))
    amount *= sm(0.02, 0.10, sky.mean())
    rows = np.where(sky > 0.5, np.arange(h)[:, None], -1).max(axis=0)
    if (rows < 0).all() or amount <= 0:
        return img
    idx = np.where(rows >= 0)[0]
    rows = rows[idx[np.abs(np.arange(w)[:, None] - idx[None, :]).argmin(axis=1)]]
    r = w // 48
    rows = np.array([rows[max(0, x - r):x + r + 1].max() for x in range(w)])
    med = np.sort(rows)[w // 2]
    amount *= sm(0.6, 0.8, np.mean(np.abs(rows - med) <= h // 6))
    if amount <= 0:
        return img
    low = sky > 0.5
    band_rows = np.where(low.any(axis=1))[0]
    lowest, highest = band_rows.max(), band_rows.min()
    sel = low.copy()
    sel[:lowest - (lowest - highest) // 5] = False
    air = 0.5 * img[sel].mean(axis=0) + 0.5 if sel.any() else np.array([0.78, 0.84, 0.90], np.float32)
    y = np.arange(h)[:, None]
    band = np.where(y < rows[None, :], 0, np.exp(-(y - rows[None, :]) * 3.0 / h))
    weight = ((1 - sky) * band * sm(num(p, "near", 0.45), 1, 1 - depth)).astype(np.float32)[:, :, None]
    veil = 1 - np.exp(-1.6 * amount * weight)
    out = img + veil * (air.astype(np.float32) - img)
    lab = cv2.cvtColor(np.clip(out, 0, 1), cv2.COLOR_RGB2Lab)
    lab[:, :, 2] -= num(p, "blue", 6) * amount * weight[:, :, 0]
    return np.where(weight > 0, cv2.cvtColor(lab, cv2.COLOR_Lab2RGB), img)


STAGES = {
    "depth": st_depth,
    "fog": st_fog,
    "resize": st_resize,
    "denoise": st_denoise,
    "edges": st_edges,
    "stylize": st_stylize,
    "segments": st_segments,
    "palette": st_palette,
    "transfer": st_transfer,
    "histmatch": st_histmatch,
    "color": st_color,
    "skysmooth": st_skysmooth,
    "dither": st_dither,
    "texture": None,  # no OpenCV equivalent of the generalized Kuwahara filter
    "lines": st_lines,
    "upsample": st_upsample,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ghiblify", default=os.path.join(ROOT, "build", "ghiblify"))
    ap.add_argument("--help-file", help="ghiblify --help saved to a file (instead of running --ghiblify)")
    ap.add_argument("--stages", help="comma-separated stages instead of ghiblify's defaults")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "AnimeGANv3_Hayao_36.onnx"))
    ap.add_argument("--upsample", choices=["jbf", "guided", "cubic"],
                    default="jbf" if hasattr(cv2, "ximgproc") else "cubic")
    a = ap.parse_args()

    if a.help_file:
        with open(a.help_file) as f:
            text = f.read()
    else:
        text = subprocess.run([a.ghiblify, "--help"], capture_output=True, text=True, check=True).stdout
    order, params = parse_help(text)
    if not order:
        sys.exit("peer_pipeline: no stage list in ghiblify's --help")
    wanted = a.stages.split(",") if a.stages else [s for s, on in order if on]
    run = [s for s, _ in order if s in wanted]
    cv2.setNumThreads(a.threads)
    print(f"peer note stages={','.join(run)} upsample={a.upsample} opencv={cv2.__version__} "
          f"ximgproc={hasattr(cv2, 'ximgproc')}")

    tmp = tempfile.mkdtemp(prefix="peer-pipeline-")
    ctx = {"upsample": a.upsample}
    if "stylize" in run:
        t0 = time.perf_counter()
        ctx["ort"] = Ort(a.model, a.threads, tmp)
        print(f"peer setup_ms={(time.perf_counter() - t0) * 1e3:.1f}")

    times = {}
    t_start = time.perf_counter()
    t0 = t_start
    bgr = cv2.imread(a.input, cv2.IMREAD_COLOR)
    if bgr is None:
        sys.exit(f"peer_pipeline: cannot read {a.input}")
    img = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32)
    del bgr
    img *= np.float32(1 / 255)
    ctx["photo"] = img
    times["io_decode"] = time.perf_counter() - t0
    for name in run:
        fn = STAGES.get(name)
        if fn is None:
            print(f"peer note stage {name}: no OpenCV equivalent here, skipped")
            continue
        t0 = time.perf_counter()
        img = fn(img, ctx, params.get(name, {}))
        if name in ("resize", "denoise"):
            ctx["working"] = img
        times[name] = time.perf_counter() - t0
    t0 = time.perf_counter()
    np.maximum(img, 0, out=img)  # then convertScaleAbs: x 255, rounded, saturated to 8 bits
    out = cv2.cvtColor(cv2.convertScaleAbs(img, alpha=255), cv2.COLOR_RGB2BGR)
    if not cv2.imwrite(a.output, out, [cv2.IMWRITE_JPEG_QUALITY, 92]):
        sys.exit(f"peer_pipeline: cannot write {a.output}")
    times["io_encode"] = time.perf_counter() - t0
    total = time.perf_counter() - t_start
    for name, t in times.items():
        print(f"peer stage={name} ms={t * 1e3:.1f}")
    print(f"peer total_ms={total * 1e3:.1f}")
    if "ort" in ctx:
        ctx["ort"].close()
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    node_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peer rss self_mb={self_mb:.0f} node_mb={node_mb:.0f}")


if __name__ == "__main__":
    main()
