/// The UI's one stylesheet, embedded in the binary and inlined in every
/// page's `<head>` (no request, no network). Readable from phone width to
/// 1280 px and beyond; chart series differ by fill and dash, not colour alone.
enum Stylesheet {
    static let css: StaticString = """
        :root { --ink: #1d2329; --muted: #59636e; --line: #c8d0d8; --accent: #1f5fa8; --bad: #a8321f; --paper: #ffffff; --soft: #f2f5f8; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--paper); }
        header.top { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .6rem 1rem; background: var(--soft);
                     border-bottom: 1px solid var(--line); }
        header.top a.brand { font-weight: 700; font-size: 1.15rem; color: var(--ink); text-decoration: none; }
        nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
        main { max-width: 1200px; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.6rem; margin: .4rem 0 .8rem; overflow-wrap: anywhere; }
        h2 { font-size: 1.25rem; margin: 1.6rem 0 .6rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
        h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
        a { color: var(--accent); }
        a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        p.lead, .muted { color: var(--muted); }
        .table-wrap { overflow-x: auto; }
        table { border-collapse: collapse; margin: .4rem 0 1rem; font-variant-numeric: tabular-nums; }
        th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
        thead th { background: var(--soft); }
        td.num, th.num { text-align: right; }
        caption { text-align: left; font-weight: 600; padding: .2rem 0; }
        td ul { margin: 0; padding-left: 1.1rem; }
        form.inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .5rem 0 1rem; }
        form.inline label { display: flex; flex-direction: column; font-size: .9rem; color: var(--muted); }
        input, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        .grid-charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 380px), 1fr)); gap: 1rem; }
        figure.chart-figure { margin: 0 0 1rem; padding: .6rem; border: 1px solid var(--line); border-radius: 6px; min-width: 0; max-width: 760px; }
        figure.chart-figure figcaption { font-weight: 600; margin-bottom: .3rem; }
        svg.chart { width: 100%; height: auto; display: block; font-size: 12px; }
        svg text { fill: var(--ink); }
        svg .axis { stroke: var(--ink); stroke-width: 1; }
        svg .grid { stroke: var(--line); stroke-width: 1; stroke-dasharray: 2 3; }
        svg .axis-label { fill: var(--muted); font-size: 12px; }
        svg .series0 { fill: var(--accent); stroke: var(--accent); }
        svg .series1 { fill: none; stroke: var(--bad); stroke-width: 2.5; stroke-dasharray: 5 3; }
        svg .line { fill: none; stroke-width: 2; }
        svg .marker { fill: var(--paper); stroke: var(--accent); stroke-width: 2; }
        svg .covered { fill: var(--accent); stroke: var(--ink); stroke-width: .5; }
        svg .failed { stroke: var(--bad); stroke-width: 2; }
        svg .hatch-back { fill: #f6dcd6; }
        svg .hatch-line { stroke: var(--bad); stroke-width: 3; }
        svg .gap { fill: var(--paper); stroke: var(--ink); stroke-width: 1.5; stroke-dasharray: 4 3; }
        ul.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .2rem 1rem; padding: 0; margin: .3rem 0; font-size: .9rem; }
        ul.legend svg { vertical-align: middle; }
        details summary { cursor: pointer; color: var(--muted); }
        .verdict-drifted { font-weight: 700; color: var(--bad); }
        .verdict-ok { color: var(--ink); }
        .badge { display: inline-block; padding: 0 .4rem; border: 1px solid var(--line); border-radius: 999px; font-size: .85rem; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: .4rem 0 1rem; }
        dl.facts dt { color: var(--muted); }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        ol.timeline { list-style: none; padding: 0; margin: 0; border-left: 3px solid var(--line); }
        ol.timeline li { position: relative; padding: .3rem 0 .6rem 1rem; }
        ol.timeline li::before { content: ""; position: absolute; left: -8px; top: .7rem; width: 11px; height: 11px; border-radius: 50%;
                                 background: var(--paper); border: 2px solid var(--accent); }
        code { font-family: ui-monospace, Menlo, monospace; font-size: .9em; overflow-wrap: anywhere; }
        @media (max-width: 600px) {
          body { font-size: 15px; }
          main { padding: .6rem; }
          dl.facts { grid-template-columns: 1fr; }
          dl.facts dd { margin-bottom: .4rem; }
        }
        """
}
