import CLarder
import Glibc
import Larder

/// The error of the last failed call, per thread, as the JSON that
/// `larder_last_error` returns (see larder.h).
enum LastError {
    /// The thread-specific slot holding a `strdup`ed C string (freed with the thread).
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { free($0) }
        return key
    }()

    /// An empty C string returned before any error.
    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = UnsafePointer(strdup("")!)

    /// The current thread's last error, or "".
    static var current: UnsafePointer<CChar> {
        pthread_getspecific(key).map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) } ?? empty
    }

    /// Records `error` as this thread's last error and returns its category's code.
    static func set(_ error: LarderError) -> Int32 {
        free(pthread_getspecific(key))
        pthread_setspecific(key, strdup(json(error)))
        return code(error.category)
    }

    /// The return value of `category` (larder.h's LARDER_INVALID_INPUT …; unknown categories are storage errors).
    static func code(_ category: LarderError.Category) -> Int32 {
        switch category {
        case .invalidInput: LARDER_INVALID_INPUT
        case .notFound: LARDER_NOT_FOUND
        case .conflict: LARDER_CONFLICT
        case .io: LARDER_IO
        default: LARDER_STORAGE
        }
    }

    /// `{"category", "message", "problems": [{file, line, column, value, reason, text}], "total_problems"}`.
    static func json(_ error: LarderError) -> String {
        let problems: [JSONValue] = error.problems.map {
            .object(["file": .string($0.file), "line": .int($0.line), "column": .string($0.column), "value": .string($0.value),
                     "reason": .string($0.reason), "text": .string($0.description)])
        }
        return JSONValue.object([
            "category": .string(error.category.name), "message": .string(error.message),
            "problems": .array(problems), "total_problems": .int(error.totalProblems),
        ]).rendered
    }
}

/// Runs `body`, turning a thrown error into this thread's last error and its
/// code: every exported function's body goes through here, so no Swift error
/// crosses the C boundary.
func call(_ body: () throws(LarderError) -> Void) -> Int32 {
    do {
        try body()
        return LARDER_OK
    } catch {
        return LastError.set(error)
    }
}

/// A string that Larder hands out through a `char **out`; freed by `larder_string_free`.
func handOut(_ text: String, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) throws(LarderError) {
    guard let out else { throw .invalidInput("no place for the result (a NULL out pointer)") }
    out.pointee = strdup(text)
}

/// The Swift string of a borrowed C string argument, or nil for NULL.
func text(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
}

/// The Swift string of a required C string argument named `name`.
func required(_ pointer: UnsafePointer<CChar>?, _ name: String) throws(LarderError) -> String {
    guard let pointer else { throw .invalidInput("\(name) is required (got NULL)") }
    return String(cString: pointer)
}

/// The last error on this thread as JSON (larder.h).
@_cdecl("larder_last_error")
public func larderLastError() -> UnsafePointer<CChar> { LastError.current }

/// Frees a string handed out through a `char **out` (larder.h).
@_cdecl("larder_string_free")
public func larderStringFree(_ string: UnsafeMutablePointer<CChar>?) { free(string) }
