#include "swim/awareness.hpp"

#include <algorithm>

namespace swim {

void awareness::apply_delta(int delta) { score_ = std::clamp(score_ + delta, 0, max_ - 1); }

}  // namespace swim
