/* Preloaded with libfaketime for `dev.py test --year-ahead`.

   libfaketime 0.9.10 (Debian 12) moves CLOCK_MONOTONIC with the date and converts the
   deadline given to sem_timedwait, but not the one given to sem_clockwait, which glibc 2.30
   added and Python 3.11 uses for every thread wait with a timeout (Lock.acquire, Event.wait,
   queue.get, Thread.join): the deadline, read from the faked clock, lies a year ahead of the
   kernel's, and such a wait never times out. This sem_clockwait turns the same wait into a
   sem_timedwait on the (faked) real-time clock, whose deadline libfaketime does convert. */
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <time.h>

#define NS_PER_S 1000000000LL

int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *deadline)
{
    struct timespec now, at;
    long long left;

    if (deadline->tv_nsec < 0 || deadline->tv_nsec >= NS_PER_S) {
        errno = EINVAL;
        return -1;
    }
    if (clock == CLOCK_REALTIME)
        return sem_timedwait(sem, deadline);
    if (clock != CLOCK_MONOTONIC) {
        errno = EINVAL;
        return -1;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    clock_gettime(CLOCK_REALTIME, &at);
    left = (deadline->tv_sec - now.tv_sec) * NS_PER_S + (deadline->tv_nsec - now.tv_nsec);
    if (left < 0)
        left = 0;
    at.tv_sec += left / NS_PER_S;
    at.tv_nsec += left % NS_PER_S;
    if (at.tv_nsec >= NS_PER_S) {
        at.tv_sec += 1;
        at.tv_nsec -= NS_PER_S;
    }
    return sem_timedwait(sem, &at);
}
