/// How a transaction ends, as its body decides: committed or rolled back,
/// with the body's result. Every storage engine's transactions take it.
package enum TransactionEnd<R> {
    /// Commit, then return the value.
    case commit(R)
    /// Roll back (nothing is kept), then return the value.
    case rollback(R)
}
