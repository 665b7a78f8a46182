/// A fragment of HTML (or inline SVG) that is safe by construction: text and
/// attribute values are escaped when they go in, and tag and attribute names
/// can only be string literals of our own code. Nothing from a request or
/// the store ever reaches the markup unescaped.
struct HTML: Sendable {
    /// The markup.
    private(set) var markup: String

    private init(markup: String) { self.markup = markup }

    /// Nothing.
    static let empty = HTML(markup: "")

    /// `text`, escaped (`&`, `<`, `>`, `"`, `'`).
    static func text(_ text: String) -> HTML { HTML(markup: escape(text)) }

    /// The element `<tag attributes…>children…</tag>`; attributes whose
    /// value is `nil` are left out, a value of `""` is written bare-valued.
    static func element(_ tag: StaticString, _ attributes: KeyValuePairs<StaticString, String?> = [:], _ children: [HTML] = []) -> HTML {
        var markup = "<\(tag)"
        for (name, value) in attributes {
            guard let value else { continue }
            markup += " \(name)=\"\(escape(value))\""
        }
        markup += ">"
        for child in children { markup += child.markup }
        if !voidElements.contains("\(tag)") { markup += "</\(tag)>" }
        return HTML(markup: markup)
    }

    /// The element with one text child.
    static func element(_ tag: StaticString, _ attributes: KeyValuePairs<StaticString, String?> = [:], text: String) -> HTML {
        element(tag, attributes, [.text(text)])
    }

    /// A whole document: the doctype, then `html`.
    static func document(_ html: HTML) -> String { "<!DOCTYPE html>\n" + html.markup }

    /// Markup written in our own source (a stylesheet): a literal, never data.
    static func literal(_ markup: StaticString) -> HTML { HTML(markup: "\(markup)") }

    /// `fragments` one after the other.
    static func join(_ fragments: [HTML]) -> HTML { HTML(markup: fragments.map(\.markup).joined()) }

    private static let voidElements: Set<String> = ["br", "hr", "img", "input", "link", "meta"]

    /// `text` with the five characters that matter in HTML text and
    /// attribute values replaced by their entities.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
