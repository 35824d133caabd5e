"""plateau: ReduceLROnPlateau on the validation loss, a rule with state
(``schedalg.plateau``): the logged rate is the schedule times the rule's scale."""

from _common import PEAK, run

import schedalg as sa
from schedalg.plateau import reduce_on_plateau

schedule = sa.constant(PEAK)
plateau = reduce_on_plateau(factor=0.3, patience=0, threshold=0.05)

if __name__ == "__main__":
    run(schedule, "plateau", plateau=plateau)
