"""The inside of the mouth. The cast member's photo lends its lips, never what shows between them (a
smile's teeth are painted over: ``sealed``). When the swapped face follows the actor, its mouth opens where
and as much as the actor's does in the picture (``cavity``: what is much darker than the lips inside the
outer lip line, moved onto the new lips). When a voice drives the lips, the actor's own interior is used
where their mouth is open about as wide, else one is drawn: a dark cavity, upper teeth."""
from __future__ import annotations

import cv2
import numpy as np

from engine.faces.align import INNER_LIPS, mouth_opening
from engine.faces.quality import edge_blur, turn

WIDE_OPEN = (0.035, 0.06)  # inner-lip gap / face height: from ajar (a shut mouth misread may be) to clearly open
FRONTAL = (0.15, 0.25)  # |yaw| (quality.turn): up to the first the inner lips are trusted, past the second not
OPEN_ENOUGH = 0.012  # inner-lip gap / face height above which the actor's own mouth interior is used


def closed(landmarks: np.ndarray) -> np.ndarray:
    """The same face with its lips together (inner lip pairs met at their midpoints)."""
    lm = np.asarray(landmarks, np.float32).copy()
    for upper, lower in ((61, 67), (62, 66), (63, 65)):
        mid = (lm[upper] + lm[lower]) / 2
        lm[upper] = lm[lower] = mid
    return lm


def sealed(face: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The face with what shows between its lips (a smile's teeth, a tongue) painted over from the lips
    around it. A cast photo that smiles would otherwise lend its teeth to every frame: squeezed between lips
    that the actor keeps closed, they read as a pale band, a mouth ajar that never shuts. Whatever the mouth
    shows when it opens comes from ``fill_mouth``."""
    if mouth_opening(landmarks) < 0.02:  # lips together: nothing shows between them
        return face
    mask = _fill(face.shape[:2], np.asarray(landmarks, np.float32)[INNER_LIPS]) * 255
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))  # the predictor's inner lip is a pixel or two off
    return cv2.inpaint(np.ascontiguousarray(face), mask, 3, cv2.INPAINT_TELEA)


def _fill(shape: tuple[int, int], poly: np.ndarray) -> np.ndarray:
    """uint8 mask: 1 inside the polygon."""
    m = np.zeros(shape, np.uint8)
    cv2.fillPoly(m, [np.round(poly).astype(np.int32)], 1)
    return m


def _poly_mask(shape: tuple[int, int], poly: np.ndarray, blur: int) -> np.ndarray:
    m = np.zeros(shape, np.float32)
    cv2.fillPoly(m, [np.round(poly).astype(np.int32)], 1.0, lineType=cv2.LINE_AA)
    if blur > 1:
        m = cv2.GaussianBlur(m, (blur | 1, blur | 1), 0)
    return m


def drawn_interior(face: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """A mouth cavity for the lips ``inner`` (8 points), in the face's own colours: the lips' colour in deep
    shade, darkest in the middle, with a soft band of upper teeth when it is open enough. (A flat near-black
    with cream teeth read as a puppet's mouth.)"""
    size = face.shape[0]
    inside = _fill((size, size), inner)
    ring = cv2.dilate(inside, np.ones((5, 5), np.uint8)) - inside
    lips = face[ring > 0].reshape(-1, 3).mean(0) if ring.sum() >= 5 else np.array([150.0, 90.0, 90.0])
    x0, y0 = inner.min(0)
    x1, y1 = inner.max(0)
    gap = max(1.0, float(y1 - y0))
    cy = (y0 + y1) / 2
    rows = np.abs(np.arange(size, dtype=np.float32) - cy) / (gap / 2)
    shade = 0.14 + 0.16 * np.clip(rows, 0, 1)  # darkest in the middle, a little lighter towards the lips
    out = (lips[None, None, :] * shade[:, None, None]).repeat(size, axis=1)
    teeth_h = int(round(min(gap * 0.3, (x1 - x0) * 0.1)))
    if teeth_h >= 2:
        layer = np.zeros((size, size), np.float32)
        top = np.round(inner[[1, 2, 3]].mean(0)).astype(int)
        cv2.ellipse(layer, (int(top[0]), int(top[1])), (int((x1 - x0) * 0.3), teeth_h), 0, 0, 180, 1.0, -1,
                    lineType=cv2.LINE_AA)
        layer = cv2.GaussianBlur(layer, (3, 3), 0)[..., None] * 0.85
        teeth = 0.75 * np.array([222.0, 214.0, 204.0]) + 0.25 * lips  # ivory in the face's light
        out = out * (1 - layer) + teeth * layer
    return np.clip(out, 0, 255).astype(np.uint8)


DRAWN_BLUR = 0.8  # px: the edge width of a drawn mouth (``_poly_mask``'s 3x3 blur on an anti-aliased polygon)


def as_soft_as(face: np.ndarray, landmarks: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """A drawn mouth's mask with edges as soft as the face's own (read round the mouth and nose): a crisp
    dark mouth on a soft old close-up was a cut-out."""
    region = np.zeros(face.shape[:2], np.uint8)
    cv2.fillConvexPoly(region, cv2.convexHull(np.round(landmarks[list(range(3, 14)) + [29]]).astype(np.int32)), 1)
    width = edge_blur(face, region)
    if width is None or width <= DRAWN_BLUR + 0.2:
        return alpha
    return cv2.GaussianBlur(alpha, (0, 0), float(min(4.0, np.sqrt(width * width - DRAWN_BLUR ** 2))))


def cavity(rgb: np.ndarray, landmarks: np.ndarray, darker: float = 0.65) -> np.ndarray:
    """float mask of the mouth's opening as the picture shows it: what is much darker than the darker of the
    two lips inside the outer lip line, with the teeth it encloses. It does not lean on the predictor's inner
    lip, which on a turned or blurred face is often a few pixels apart on a shut mouth: a shut mouth gives
    a thin dark line or nothing, an open one its cavity. (Measured against the darker lip: an upper lip in
    shadow, or simply darker than the lower one, is a lip and not an opening.)"""
    lm = np.asarray(landmarks, np.float32)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    light, red = lab[..., 0], lab[..., 1]
    mouth = _fill(light.shape, lm[48:60])
    if mouth.sum() < 10:
        return np.zeros(light.shape, np.float32)
    upper = _fill(light.shape, np.vstack([lm[48:55], lm[[64, 63, 62, 61, 60]]]))
    lower = _fill(light.shape, np.vstack([lm[54:60], lm[[48, 60, 67, 66, 65, 64]]]))
    each = [float(np.median(light[b > 0])) for b in (upper, lower) if b.sum() >= 5]
    lips = min(each) if each else float(np.percentile(light[mouth > 0], 70))
    # a soft edge (fully dark at 0.15 of the lips' lightness below the line): a hard threshold flickers
    dark = np.clip((darker * lips - light) / (0.15 * lips) + 0.5, 0.0, 1.0) * mouth
    dark = np.maximum(dark, _teeth(light, red, mouth, (upper, lower), lips, dark))
    k = max(3, rgb.shape[0] // 48) | 1
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8)) * mouth  # what they enclose
    return cv2.GaussianBlur(dark.astype(np.float32), (3, 3), 0)


def _teeth(light: np.ndarray, red: np.ndarray, mouth: np.ndarray, lips: tuple, lips_light: float,
           dark: np.ndarray) -> np.ndarray:
    """Teeth: inside the lips, lighter than them and less red than both the lips and the skin around, and
    between the mouth's dark corners (a pale patch of cheek inside a misplaced lip line is not)."""
    reds = [float(np.median(red[b > 0])) for b in lips if b.sum() >= 5]
    ring = cv2.dilate(mouth, np.ones((9, 9), np.uint8)) - mouth
    if ring.sum() >= 5:
        reds.append(float(np.median(red[ring > 0])))
    if not reds:
        return np.zeros(light.shape, np.float32)
    pale = np.clip((min(reds) - red - 2.0) / 4.0, 0.0, 1.0) * (light > 1.1 * lips_light) * mouth
    # between dark on the left and dark on the right, row by row (a few rows' leeway)
    near = cv2.dilate((dark > 0.5).astype(np.uint8), np.ones((7, 1), np.uint8)).astype(bool)
    enclosed = np.logical_and.reduce([np.maximum.accumulate(near, axis=1),
                                      np.maximum.accumulate(near[:, ::-1], axis=1)[:, ::-1]])
    return pale * enclosed


def actor_mouth(face: np.ndarray, target: np.ndarray, source: np.ndarray,
                source_lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``face`` with the actor's own mouth opening (``cavity``) moved onto its lips: it opens and shuts
    exactly when and as much as the actor's does in the picture. Also returns where (0..1) it did."""
    size = face.shape[0]
    m, _ = cv2.estimateAffine2D(np.asarray(source_lm, np.float32)[48:60], np.asarray(target, np.float32)[48:60])
    if m is None:
        return face, np.zeros((size, size), np.float32)
    interior = cv2.warpAffine(source, m, (size, size), borderMode=cv2.BORDER_REFLECT)
    # never past the new lips' outline: the actor's mouth is often wider or placed a little apart from
    # them, and his dark line beyond their corner reads as a moustache's shadow
    lips = _poly_mask((size, size), np.asarray(target, np.float32)[48:60], blur=max(3, size // 96))
    opening = cavity(source, source_lm)
    wide = float(np.clip((mouth_opening(source_lm) - WIDE_OPEN[0]) / (WIDE_OPEN[1] - WIDE_OPEN[0]), 0.0, 1.0))
    wide *= float(np.clip((FRONTAL[1] - abs(turn(source_lm))) / (FRONTAL[1] - FRONTAL[0]), 0.0, 1.0))
    if wide > 0:
        # clearly open, on a face turned little: all between the actor's inner lips is the inside of the mouth,
        # whatever it shows (on a small or soft face the cavity test misses teeth and a pale tongue, and the new
        # lips parted over their own stretched pink: the mouth read as barely open). Moved with the whole mouth,
        # as the cavity is: fitted to the new inner lips instead, it wobbled with their noise, and read as less
        # open. On a turned face the predictor's inner lips are not to be trusted (see ``cavity``).
        inner = _poly_mask((size, size), np.asarray(source_lm, np.float32)[INNER_LIPS], blur=3)
        opening = np.maximum(opening, wide * inner)
    alpha = cv2.warpAffine(opening, m, (size, size)) * lips
    return (face * (1 - alpha[..., None]) + interior * alpha[..., None]).astype(np.uint8), alpha


def fill_mouth(face: np.ndarray, target: np.ndarray, source: np.ndarray | None, source_lm: np.ndarray | None,
               follow: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``face`` with the region inside the target inner lips replaced by an interior (see module doc);
    ``follow``: the target is the actor's own mouth, whose opening is then taken from the picture.
    Also returns the share (0..1) of each pixel that is now the actor's own, from ``source``: it is already
    in the scene's colours and lighting, so colour matching must leave it as it is."""
    size = face.shape[0]
    none = np.zeros((size, size), np.float32)
    if follow and source is not None and source_lm is not None:
        return actor_mouth(face, target, source, source_lm)
    inner_t = np.asarray(target, np.float32)[INNER_LIPS]
    opening = mouth_opening(target)
    if opening < 0.008:
        return face, none
    actor_open = mouth_opening(source_lm) if source_lm is not None else 0.0
    # the actor's own interior only where their mouth is really open about as wide (a voice opening a closed
    # mouth would otherwise stretch their lips into the gap, which reads as a closed mouth)
    m = None
    if source is not None and actor_open >= OPEN_ENOUGH and actor_open >= 0.7 * opening:
        m, _ = cv2.estimateAffine2D(np.asarray(source_lm, np.float32)[INNER_LIPS], inner_t)
    interior = cv2.warpAffine(source, m, (size, size), borderMode=cv2.BORDER_REFLECT) if m is not None \
        else drawn_interior(face, inner_t)
    alpha = _poly_mask(face.shape[:2], inner_t, blur=max(3, size // 96))
    if m is None:
        alpha = as_soft_as(face, np.asarray(target, np.float32), alpha)
    face = (face * (1 - alpha[..., None]) + interior * alpha[..., None]).astype(np.uint8)
    return face, (alpha if m is not None else none)
