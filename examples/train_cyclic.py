"""cyclic: triangular cyclical learning rate whose amplitude halves every cycle
(CLR "triangular2", Smith 2017)."""

from _common import PEAK, STEPS_PER_EPOCH, run

import schedalg as sa

schedule = sa.cyclic(PEAK / 10, PEAK, STEPS_PER_EPOCH // 2, mode="triangular2")

if __name__ == "__main__":
    run(schedule, "cyclic")
