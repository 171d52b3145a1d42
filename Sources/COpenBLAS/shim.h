#pragma once
#include <cblas.h>

/* OpenBLAS's own (exported, not in cblas.h): stops its worker threads, which otherwise spin
 * in sched_yield for a while after start-up and after every threaded call. The next call that
 * runs on more than one thread starts them again. */
int blas_thread_shutdown_(void);
