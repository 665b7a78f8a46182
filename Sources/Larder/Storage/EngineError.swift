/// An error of a storage engine, which knows how to say it to a user: what
/// happened to the store at `store` and what to do.
package protocol EngineError: Error {
    /// The error as Larder reports it, naming the store when known.
    func larderError(store: String?) -> LarderError
}
