extension JSONScanner {
    /// The string at the scanner's position, unescaped.
    package mutating func unescapedString() throws(Failure) -> String {
        let token = try string()
        guard token.escaped else { return String(decoding: bytes(token.range), as: UTF8.self) }
        var out: [UInt8] = []
        try unescape(token, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Calls `body` with each member's key (unescaped) and the scanner at
    /// the member's value, which `body` reads whole; the scanner is at the
    /// object's `{` and ends after its `}`.
    package static func members(_ s: inout JSONScanner,
                                _ body: (String, inout JSONScanner) throws(Failure) -> Void) throws(Failure) {
        guard !s.enterIsEmpty(closing: UInt8(ascii: "}")) else { return }
        while true {
            guard s.peek == UInt8(ascii: "\"") else { throw s.syntax("expected a key in quotes") }
            let key = try s.unescapedString()
            s.skipWhitespace()
            guard s.peek == UInt8(ascii: ":") else { throw s.syntax("expected ':' after the key") }
            s.p += 1
            s.skipWhitespace()
            try body(key, &s)
            if try s.nextElement(closing: UInt8(ascii: "}")) { continue }
            return
        }
    }

    /// Calls `body` with each element's index and the scanner at the
    /// element, which `body` reads whole; the scanner is at the array's `[`
    /// and ends after its `]`.
    package static func elements(_ s: inout JSONScanner,
                                 _ body: (Int, inout JSONScanner) throws(Failure) -> Void) throws(Failure) {
        guard !s.enterIsEmpty(closing: UInt8(ascii: "]")) else { return }
        var i = 0
        while true {
            try body(i, &s)
            i += 1
            if try s.nextElement(closing: UInt8(ascii: "]")) { continue }
            return
        }
    }

    /// Steps into the object or array whose opening bracket is at the
    /// scanner's position; when the next character is `close` (an empty
    /// one), steps over it too and answers true.
    private mutating func enterIsEmpty(closing close: UInt8) -> Bool {
        p += 1
        skipWhitespace()
        guard peek == close else { return false }
        p += 1
        return true
    }
}
