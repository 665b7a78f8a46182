/// Stops the process with `message` unless `condition` holds: a
/// `precondition` whose message survives optimized builds, so that the fuzz
/// log says which invariant broke.
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("invariant broken: \(message())") }
}
