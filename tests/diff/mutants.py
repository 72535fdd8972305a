#!/usr/bin/env python3
"""Mutation check of the differential test itself: runner.py with a deliberately
broken asyncio.Queue. Each mutant is a bug a C++ port could plausibly have; the
self-test (selftest.py) requires difftest.py to catch every one of them, which
proves the generated scripts and the traces are sharp enough to see such bugs.

Usage: mutants.py MUTANT [FILE]     (Python >= 3.13; MUTANT is one of MUTANTS)
"""

import asyncio
import collections
import os
import sys

from asyncio import queues

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
Q = queues.Queue
QueueShutDown = queues.QueueShutDown


def m_no_pass_on():
    """A getter woken and then cancelled before it runs drops the wakeup."""
    async def get(self):
        while self.empty():
            if self._is_shutdown and self.empty():
                raise QueueShutDown
            getter = self._get_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except:  # noqa: E722
                getter.cancel()
                try:
                    self._getters.remove(getter)
                except ValueError:
                    pass
                raise
        return self.get_nowait()
    Q.get = get


def m_no_pass_on_put():
    """A putter woken and then cancelled before it runs drops the wakeup."""
    async def put(self, item):
        while self.full():
            if self._is_shutdown:
                raise QueueShutDown
            putter = self._get_loop().create_future()
            self._putters.append(putter)
            try:
                await putter
            except:  # noqa: E722
                putter.cancel()
                try:
                    self._putters.remove(putter)
                except ValueError:
                    pass
                raise
        return self.put_nowait(item)
    Q.put = put


def m_lifo_wakeup():
    """Waiters are woken newest first."""
    def _wakeup_next(self, waiters):
        while waiters:
            waiter = waiters.pop()
            if not waiter.done():
                waiter.set_result(None)
                break
    Q._wakeup_next = _wakeup_next


def m_no_recheck():
    """A woken getter does not re-check (no barging): robbed, it raises QueueEmpty."""
    async def get(self):
        if self.empty():
            if self._is_shutdown:
                raise QueueShutDown
            getter = self._get_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except:  # noqa: E722
                getter.cancel()
                try:
                    self._getters.remove(getter)
                except ValueError:
                    pass
                if not self.empty() and not getter.cancelled():
                    self._wakeup_next(self._getters)
                raise
        return self.get_nowait()
    Q.get = get


def m_shutdown_keeps_putters():
    """shutdown() forgets to wake the blocked putters."""
    orig = Q.shutdown

    def shutdown(self, immediate=False):
        saved = self._putters
        self._putters = collections.deque()
        orig(self, immediate)
        self._putters = saved
    Q.shutdown = shutdown


def m_immediate_keeps_count():
    """shutdown(immediate=True) drains the items but not the unfinished count."""
    orig = Q.shutdown

    def shutdown(self, immediate=False):
        n = self._unfinished_tasks
        orig(self, immediate)
        if immediate and n:
            self._unfinished_tasks = n
            self._finished.clear()
    Q.shutdown = shutdown


def m_get_nowait_no_wake():
    """get_nowait() frees a slot without waking a putter."""
    def get_nowait(self):
        if self.empty():
            if self._is_shutdown:
                raise QueueShutDown
            raise queues.QueueEmpty
        return self._get()
    Q.get_nowait = get_nowait


def m_wake_all():
    """put_nowait wakes every getter instead of one."""
    orig = Q.put_nowait

    def put_nowait(self, item):
        orig(self, item)
        while self._getters:
            w = self._getters.popleft()
            if not w.done():
                w.set_result(None)
    Q.put_nowait = put_nowait


def m_cancel_leaves_waiter():
    """A cancelled getter stays in the wait list (shows in str(q), eats a wakeup)."""
    async def get(self):
        while self.empty():
            if self._is_shutdown and self.empty():
                raise QueueShutDown
            getter = self._get_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except:  # noqa: E722
                if not self.empty() and not getter.cancelled():
                    self._wakeup_next(self._getters)
                raise
        return self.get_nowait()
    Q.get = get


def m_join_ignores_rearm():
    """join() re-checks the count after waking (Python returns even if re-armed)."""
    async def join(self):
        while self._unfinished_tasks > 0:
            await self._finished.wait()
    Q.join = join


def m_priority_unstable():
    """PriorityQueue pops the largest item."""
    import heapq

    def _put(self, item):
        heapq.heappush(self._queue, -item)

    def _get(self):
        return -heapq.heappop(self._queue)

    def _format(self):
        s = Q._format(self)
        return s.replace(f"_queue={self._queue!r}", f"_queue={[-x for x in self._queue]!r}")
    queues.PriorityQueue._put = _put
    queues.PriorityQueue._get = _get
    queues.PriorityQueue._format = _format


def m_str_no_tasks():
    """str(q) leaves out 'tasks=N'."""
    def _format(self):
        import re
        return re.sub(r" tasks=\d+", "", Q._format_orig(self))
    Q._format_orig = Q._format
    Q._format = _format


def m_cancel_result_always_true():
    """Task.cancel() of a finished task says True (checked through 'cancel' lines)."""
    # The C Task type cannot be patched: use the Python one for every task.
    from asyncio import tasks
    PyTask = tasks._PyTask

    class T(PyTask):
        def cancel(self, msg=None):
            PyTask.cancel(self, msg)
            return True

    def create_task(coro, *, name=None, context=None):
        return T(coro, loop=asyncio.get_running_loop())
    asyncio.create_task = create_task


def m_eager_tasks():
    """create_task runs the new task's first step at once (eager_task_factory)."""
    asyncio.create_task = lambda coro, **kw: asyncio.eager_task_factory(
        asyncio.get_running_loop(), coro)


def m_sleep0_twice():
    """sleep(0) yields for two loop iterations instead of one."""
    orig = asyncio.sleep

    async def sleep(delay, result=None):
        await orig(0)
        return await orig(delay, result)
    asyncio.sleep = sleep


# ---- asyncio.locks mutants: caught by the `locks` scripts (gen_locks.py) -------------
# selftest.py runs every mutant whose name starts with "locks_" on those scripts.

from asyncio import locks as _locks  # noqa: E402
from asyncio import exceptions as _exceptions  # noqa: E402


def m_locks_lock_no_pass_on():
    """Lock: a waiter cancelled after release() woke it keeps the wake-up (bpo-27585)."""
    async def acquire(self):
        if (not self._locked and (self._waiters is None or
                all(w.cancelled() for w in self._waiters))):
            self._locked = True
            return True
        if self._waiters is None:
            self._waiters = collections.deque()
        fut = self._get_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        finally:
            self._waiters.remove(fut)
        self._locked = True
        return True
    _locks.Lock.acquire = acquire


def m_locks_lock_barging():
    """Lock: acquire() takes a free lock even when a woken waiter has not run yet."""
    orig = _locks.Lock.acquire

    async def acquire(self):
        if not self._locked:
            self._locked = True
            return True
        return await orig(self)
    _locks.Lock.acquire = acquire


def m_locks_lock_lifo():
    """Lock: release() wakes the newest waiter instead of the oldest."""
    def _wake_up_first(self):
        if not self._waiters:
            return
        fut = self._waiters[-1]
        if not fut.done():
            fut.set_result(True)
    _locks.Lock._wake_up_first = _wake_up_first


def m_locks_woken_leaves_deque():
    """Lock: a woken waiter leaves the deque at once, not when it runs (a free lock
    then looks up for grabs, and repr counts one waiter less)."""
    async def acquire(self):
        if (not self._locked and (self._waiters is None or
                all(w.cancelled() for w in self._waiters))):
            self._locked = True
            return True
        if self._waiters is None:
            self._waiters = collections.deque()
        fut = self._get_loop().create_future()
        self._waiters.append(fut)
        try:
            try:
                await fut
            finally:
                if fut in self._waiters:
                    self._waiters.remove(fut)
        except _exceptions.CancelledError:
            if not self._locked:
                self._wake_up_first()
            raise
        self._locked = True
        return True

    def _wake_up_first(self):
        if not self._waiters:
            return
        fut = self._waiters[0]
        if not fut.done():
            fut.set_result(True)
            self._waiters.popleft()
    _locks.Lock.acquire = acquire
    _locks.Lock._wake_up_first = _wake_up_first


def m_locks_sem_no_give_back():
    """Semaphore: a waiter woken and then cancelled keeps the unit (gh-90155)."""
    async def acquire(self):
        if not self.locked():
            self._value -= 1
            return True
        if self._waiters is None:
            self._waiters = collections.deque()
        fut = self._get_loop().create_future()
        self._waiters.append(fut)
        try:
            try:
                await fut
            finally:
                self._waiters.remove(fut)
        finally:
            while self._value > 0:
                if not self._wake_up_next():
                    break
        return True
    _locks.Semaphore.acquire = acquire


def m_locks_sem_no_wake_loop():
    """Semaphore: a successful acquire() does not wake the waiters queued behind it."""
    async def acquire(self):
        if not self.locked():
            self._value -= 1
            return True
        if self._waiters is None:
            self._waiters = collections.deque()
        fut = self._get_loop().create_future()
        self._waiters.append(fut)
        try:
            try:
                await fut
            finally:
                self._waiters.remove(fut)
        except _exceptions.CancelledError:
            if fut.done() and not fut.cancelled():
                self._value += 1
                self._wake_up_next()
            raise
        return True
    _locks.Semaphore.acquire = acquire


def m_locks_sem_locked_value_only():
    """Semaphore: locked() looks at the value only (new tasks jump the FIFO queue)."""
    _locks.Semaphore.locked = lambda self: self._value == 0


def m_locks_bsem_unbounded():
    """BoundedSemaphore: release() above the initial value is allowed."""
    _locks.BoundedSemaphore.release = _locks.Semaphore.release


def m_locks_cond_no_notify_on_error():
    """Condition: a wait() that ends by an exception does not pass a notification on
    (gh-112202)."""
    async def wait(self):
        if not self.locked():
            raise RuntimeError('cannot wait on un-acquired lock')
        fut = self._get_loop().create_future()
        self.release()
        try:
            self._waiters.append(fut)
            try:
                await fut
                return True
            finally:
                self._waiters.remove(fut)
        finally:
            err = None
            while True:
                try:
                    await self.acquire()
                    break
                except _exceptions.CancelledError as e:
                    err = e
            if err is not None:
                raise err
    _locks.Condition.wait = wait


def m_locks_cond_cancel_no_reacquire():
    """Condition: a wait() cancelled while re-acquiring gives up the lock."""
    async def wait(self):
        if not self.locked():
            raise RuntimeError('cannot wait on un-acquired lock')
        fut = self._get_loop().create_future()
        self.release()
        try:
            self._waiters.append(fut)
            try:
                await fut
            finally:
                self._waiters.remove(fut)
            await self.acquire()
            return True
        except BaseException:
            if not self.locked():
                await self.acquire()
            self._notify(1)
            raise
    _locks.Condition.wait = wait


def m_locks_cond_notify_counts_done():
    """Condition: notify(n) counts the waiters already notified among the n."""
    def _notify(self, n):
        for idx, fut in enumerate(self._waiters):
            if idx >= n:
                break
            if not fut.done():
                fut.set_result(False)
    _locks.Condition._notify = _notify


def m_locks_barrier_reversed_index():
    """Barrier: wait() returns parties-1-index."""
    orig = _locks.Barrier.wait

    async def wait(self):
        return self._parties - 1 - await orig(self)
    _locks.Barrier.wait = wait


def m_locks_barrier_reset_breaks():
    """Barrier: reset() with tasks inside leaves it broken rather than resetting."""
    async def reset(self):
        async with self._cond:
            if self._count > 0:
                self._state = _locks._BarrierState.BROKEN
            else:
                self._state = _locks._BarrierState.FILLING
            self._cond.notify_all()
    _locks.Barrier.reset = reset


# ---- toolbox mutants: break TaskGroup / timeouts / wait / shield --------------------
# selftest.py runs every mutant whose name starts with "toolbox_" on `toolbox` scripts.
from asyncio import taskgroups as _taskgroups  # noqa: E402
from asyncio import timeouts as _timeouts  # noqa: E402


def m_toolbox_group_no_abort():
    """TaskGroup: a failing child does not cancel its siblings and the parent."""
    _taskgroups.TaskGroup._abort = lambda self: None


def m_toolbox_timeout_no_convert():
    """timeout: the expired block's CancelledError is not turned into TimeoutError."""
    orig = _timeouts.Timeout.__aexit__

    async def __aexit__(self, exc_type, exc_val, exc_tb):
        if self._state is _timeouts._State.EXPIRING:
            self._state = _timeouts._State.EXPIRED
            self._task.uncancel()
            return None
        return await orig(self, exc_type, exc_val, exc_tb)
    _timeouts.Timeout.__aexit__ = __aexit__


def m_toolbox_shield_passes_cancel():
    """shield: cancelling the awaiting task cancels the inner task too."""
    async def shield(arg):
        return await asyncio.ensure_future(arg)
    asyncio.shield = shield


def m_toolbox_wait_first_is_all():
    """wait: FIRST_COMPLETED waits for every task."""
    orig = asyncio.wait

    async def wait(fs, *, timeout=None, return_when=asyncio.ALL_COMPLETED):
        return await orig(fs, timeout=timeout, return_when=asyncio.ALL_COMPLETED)
    asyncio.wait = wait


def m_toolbox_reschedule_ignored():
    """timeout: reschedule() moves the deadline without arming it."""
    def reschedule(self, when):
        self._when = when
    _timeouts.Timeout.reschedule = reschedule


def m_toolbox_group_no_uncancel():
    """TaskGroup: the group's own cancellation of the parent is never taken back."""
    _taskgroups.TaskGroup._parent_cancel_requested = property(lambda self: False,
                                                              lambda self, v: None)


MUTANTS = {name[2:]: f for name, f in sorted(globals().items()) if name.startswith("m_")}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in MUTANTS:
        sys.exit(__doc__ + "\nmutants: " + " ".join(MUTANTS))
    MUTANTS[sys.argv[1]]()
    import runner
    runner.main([sys.argv[0]] + sys.argv[2:])


if __name__ == "__main__":
    main()
