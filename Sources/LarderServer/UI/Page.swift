/// The frame every UI page shares: head (title, viewport, the inline
/// stylesheet), the top bar with navigation and search, the content in `<main>`.
enum Page {
    /// The whole document for a page titled `title` with `content`.
    static func render(title: String, content: [HTML]) -> String {
        let head = HTML.element("head", [:], [
            .element("meta", ["charset": "utf-8"]),
            .element("meta", ["name": "viewport", "content": "width=device-width, initial-scale=1"]),
            .element("title", text: "\(title) · Larder"),
            .element("style", [:], [.literal(Stylesheet.css)]),
        ])
        let top = HTML.element("header", ["class": "top"], [
            .element("a", ["class": "brand", "href": "/ui/"], text: "Larder"),
            .element("nav", ["aria-label": "Main"], [.element("ul", [:], [
                .element("li", [:], [.element("a", ["href": "/ui/"], text: "Catalog")]),
                .element("li", [:], [.element("a", ["href": "/ui/ledger"], text: "Ledger")]),
            ])]),
            .element("form", ["role": "search", "action": "/ui/", "method": "get"], [
                .element("label", ["for": "search-box", "class": "muted"], text: "Search "),
                .element("input", ["id": "search-box", "type": "search", "name": "q", "placeholder": "names, descriptions", "maxlength": "200"]),
            ]),
        ])
        let body = HTML.element("body", [:], [top, .element("main", [:], content)])
        return HTML.document(.element("html", ["lang": "en"], [head, body]))
    }

    /// A definition list of facts (label, value).
    static func facts(_ pairs: [(String, HTML)]) -> HTML {
        .element("dl", ["class": "facts"], pairs.flatMap { [HTML.element("dt", text: $0.0), .element("dd", [:], [$0.1])] })
    }

    /// A table with a header row; `numeric` columns align right.
    static func table(_ headers: [String], _ rows: [[HTML]], numeric: Set<Int> = [], caption: String? = nil) -> HTML {
        let head = HTML.element("tr", [:], headers.enumerated().map { (i, text) in
            .element("th", ["scope": "col", "class": numeric.contains(i) ? "num" : nil], text: text)
        })
        let body = rows.map { row in
            HTML.element("tr", [:], row.enumerated().map { (i, cell) in .element("td", ["class": numeric.contains(i) ? "num" : nil], [cell]) })
        }
        return .element("div", ["class": "table-wrap"], [.element("table", [:], [
            caption.map { .element("caption", [:], text: $0) } ?? .empty,
            .element("thead", [:], [head]), .element("tbody", [:], body),
        ])])
    }

    /// A link to `href` (built by ``UIPath``) reading `text`.
    static func link(_ href: String, _ text: String) -> HTML { .element("a", ["href": href], text: text) }
}
