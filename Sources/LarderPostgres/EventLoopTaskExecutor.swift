import NIOCore

/// A Swift `TaskExecutor` that runs its jobs on one NIO event loop: a task
/// started with it as its preference (`Task(executorPreference:)`) runs all
/// its nonisolated code there, never on Swift concurrency's cooperative
/// pool. ``PostgresLink/run(_:)`` starts postgres-nio's `async` calls so,
/// on the connection's own loop, where every answer arrives anyway: a
/// thread that waits for such a task (a server's handler on the pool)
/// never waits for a pool thread to finish it.
final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop.
    let loop: any EventLoop

    /// An executor over `loop`.
    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
