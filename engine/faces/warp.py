"""Piecewise-affine warping over a Delaunay triangulation of the 68 landmarks (plus a frame of fixed
border points), done as one ``cv2.remap`` for the whole face rather than one warp per triangle."""
from __future__ import annotations

import functools

import cv2
import numpy as np


def border_points(size: int, n: int = 4) -> np.ndarray:
    """Fixed points along the crop's edges so the warp stays put there."""
    t = np.linspace(0, size - 1, n + 1)
    pts = [(x, 0) for x in t] + [(x, size - 1) for x in t] + [(0, y) for y in t[1:-1]] + [(size - 1, y) for y in t[1:-1]]
    return np.array(pts, dtype=np.float32)


def triangulate(points: np.ndarray, size: int) -> np.ndarray:
    """(K, 3) vertex indices of a Delaunay triangulation of ``points`` inside a size x size square."""
    subdiv = cv2.Subdiv2D((-1, -1, size + 2, size + 2))
    pts = np.clip(points, 0, size - 1)
    index = {}
    for k, (x, y) in enumerate(pts):
        key = (round(float(x), 3), round(float(y), 3))
        if key in index:
            continue
        index[key] = k
        subdiv.insert((float(x), float(y)))
    tris = []
    for x1, y1, x2, y2, x3, y3 in subdiv.getTriangleList():
        ids = [index.get((round(float(x), 3), round(float(y), 3))) for x, y in ((x1, y1), (x2, y2), (x3, y3))]
        if None not in ids:
            tris.append(ids)
    return np.array(tris, dtype=np.int32)


@functools.lru_cache(maxsize=8)
def _grid(size: int) -> np.ndarray:
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    return np.stack([xs, ys, np.ones_like(xs)], axis=-1)  # (S, S, 3)


def warp_maps(src: np.ndarray, dst: np.ndarray, tris: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """remap() maps that move the picture at ``src`` points to ``dst`` points (both (N, 2))."""
    raster = np.full((size, size), -1, dtype=np.int32)
    mats = np.zeros((len(tris), 2, 3), dtype=np.float32)
    for k, (a, b, c) in enumerate(tris):
        d = dst[[a, b, c]].astype(np.float32)
        area = (d[1, 0] - d[0, 0]) * (d[2, 1] - d[0, 1]) - (d[2, 0] - d[0, 0]) * (d[1, 1] - d[0, 1])
        if abs(area) < 1e-3:
            continue
        mats[k] = cv2.getAffineTransform(d, src[[a, b, c]].astype(np.float32))
        cv2.fillConvexPoly(raster, np.round(d).astype(np.int32), int(k))
    grid = _grid(size)
    xs, ys = grid[..., 0], grid[..., 1]
    outside = raster < 0
    m = mats[np.where(outside, 0, raster)]  # (S, S, 2, 3): each pixel's triangle's affine map
    mx = m[..., 0, 0] * xs + m[..., 0, 1] * ys + m[..., 0, 2]
    my = m[..., 1, 0] * xs + m[..., 1, 1] * ys + m[..., 1, 2]
    mx[outside], my[outside] = xs[outside], ys[outside]
    return mx, my


def warp_image(image: np.ndarray, src: np.ndarray, dst: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """``image`` (S x S) with its content at ``src`` moved to ``dst``."""
    size = image.shape[0]
    mx, my = warp_maps(src, dst, tris, size)
    return cv2.remap(image, mx, my, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
