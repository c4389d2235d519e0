"""What every decoder returns, and the interface the cascade calls."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kiosk.domain.payload import Segment

Point = tuple[float, float]


@dataclass(frozen=True)
class RawCode:
    data: bytes                              # the symbol's bytes, no character set applied
    segments: tuple[Segment, ...] = ()       # (ECI, bytes) pieces when the code declares ECIs
    quad: tuple[Point, ...] = ()             # corners in the decoded image's coordinates

    def mapped(self, factor: "float | tuple[float, float]", origin: tuple[int, int]) -> "RawCode":
        """The same code with corners found in a resized/cropped image put back into the frame."""
        ox, oy = origin
        fx, fy = factor if isinstance(factor, tuple) else (factor, factor)
        return RawCode(self.data, self.segments, tuple((ox + x * fx, oy + y * fy) for x, y in self.quad))

    @property
    def area(self) -> float:
        """Area of the corner polygon (shoelace); 0 when the decoder gave no corners."""
        q = self.quad
        if len(q) < 3:
            return 0.0
        return abs(sum(q[i][0] * q[i - 1][1] - q[i - 1][0] * q[i][1] for i in range(len(q)))) / 2


class Decoder(Protocol):
    name: str

    def decode(self, gray: np.ndarray) -> list[RawCode]:
        """Codes found in a 2-D uint8 image; [] when none. Never raises for an unreadable image."""
        ...
