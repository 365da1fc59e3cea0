/* clock.h: wall-clock and monotonic time in milliseconds. */
#ifndef RELAIS_BASE_CLOCK_H
#define RELAIS_BASE_CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (origin_server_ts, expiry times). */
int64_t clock_now_ms(void);
/* Monotonic milliseconds for durations and timeouts; never goes back. */
int64_t clock_mono_ms(void);
/* Monotonic nanoseconds, for benchmarks. */
int64_t clock_mono_ns(void);

#endif
