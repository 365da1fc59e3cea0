/* list.h: every unit test, one folder list per source folder (tests/unit/ mirrors src/).
 * Each folder's list.h holds TEST(module, name) lines; add new folders here. */
#include "unit/base/list.h"
#include "unit/config/list.h"
#include "unit/json/list.h"
#include "unit/http/list.h"
#include "unit/crypto/list.h"
#include "unit/matrix/list.h"
#include "unit/llm/list.h"
#include "unit/db/list.h"
#include "unit/sync/list.h"
#include "unit/push/list.h"
#include "unit/ai/list.h"
#include "unit/media/list.h"
