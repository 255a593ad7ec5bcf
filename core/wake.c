/* wake.c - see wake.h. */
#include "core/wake.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void wake_signal(struct wake *w)
{
	atomic_fetch_add_explicit(&w->seq, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&w->waiters, memory_order_seq_cst))
		syscall(SYS_futex, &w->seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void wake_wait(struct wake *w, uint32_t seq, int timeout_ms)
{
	struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};

	atomic_fetch_add_explicit(&w->waiters, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&w->seq, memory_order_seq_cst) == seq)
		syscall(SYS_futex, &w->seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
	atomic_fetch_sub_explicit(&w->waiters, 1, memory_order_seq_cst);
}
