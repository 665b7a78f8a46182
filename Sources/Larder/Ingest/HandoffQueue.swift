import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded queue between one producer thread and one consumer thread,
/// blocking on both ends (POSIX semaphores), closable by the consumer.
///
/// `@unchecked Sendable`: the semaphores are thread-safe by design, and the
/// elements are only touched under the mutex.
final class HandoffQueue<Element: Sendable>: @unchecked Sendable {
    private let items = Mutex<(queue: [Element], closed: Bool)>(([], false))
    private let filled: UnsafeMutablePointer<sem_t>
    private let free: UnsafeMutablePointer<sem_t>

    /// A queue holding at most `capacity` elements.
    init(capacity: Int) {
        filled = .allocate(capacity: 1)
        free = .allocate(capacity: 1)
        sem_init(filled, 0, 0)
        sem_init(free, 0, UInt32(capacity))
    }

    deinit {
        sem_destroy(filled)
        sem_destroy(free)
        filled.deallocate()
        free.deallocate()
    }

    /// Adds `element`, waiting for room; false when the consumer closed the queue.
    func put(_ element: Element) -> Bool {
        while sem_wait(free) != 0 {}
        let accepted = items.withLock { state in
            if state.closed { return false }
            state.queue.append(element)
            return true
        }
        if accepted { sem_post(filled) } else { sem_post(free) }
        return accepted
    }

    /// Waits until the queue has room (or is closed), without taking it:
    /// after its `put`, a producer that calls this starts on its next
    /// element only once the consumer has taken the last one, so that it
    /// never holds more than one element ahead of the queue.
    func waitForRoom() {
        while sem_wait(free) != 0 {}
        sem_post(free)
    }

    /// Removes the oldest element, waiting for one; nil once closed and empty.
    func take() -> Element? {
        while sem_wait(filled) != 0 {}
        let element = items.withLock { state in state.queue.isEmpty ? nil : state.queue.removeFirst() }
        sem_post(free)
        return element
    }

    /// Stops the queue: pending and later `put`s return false.
    func close() {
        items.withLock { state in
            state.closed = true
            state.queue.removeAll()
        }
        sem_post(free)
        sem_post(filled)
    }
}
