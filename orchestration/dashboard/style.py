"""The dashboard's and the report's one stylesheet (no web fonts, no network)."""

CSS = """
body { font-family: "Liberation Sans", Arial, sans-serif; margin: 0; color: #1f2933; background: #f5f7fa; }
header { background: #102a43; color: #fff; padding: 10px 20px; display: flex; justify-content: space-between; }
header h1 { font-size: 20px; margin: 0; } header span { font-size: 13px; opacity: .8; }
nav { background: #fff; padding: 6px 20px; border-bottom: 1px solid #d9e2ec; display: flex; flex-wrap: wrap; gap: 4px; }
nav a { padding: 6px 10px; color: #243b53; text-decoration: none; border-radius: 4px; font-size: 14px; }
nav a.active, nav a:hover { background: #d9e2ec; }
.filters { display: flex; flex-wrap: wrap; gap: 12px; padding: 10px 20px; background: #fff;
  border-bottom: 1px solid #d9e2ec; align-items: end; }
.filters label { font-size: 12px; color: #627d98; display: block; margin-bottom: 2px; }
.filter { min-width: 170px; }
main { padding: 16px 20px; }
.suggestion { background: #fffbea; border-left: 4px solid #f0b429; padding: 10px 14px; margin: 8px 0 14px;
  font-size: 15px; }
.kpis { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 14px; }
.kpi { background: #fff; border: 1px solid #d9e2ec; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.kpi b { display: block; font-size: 22px; } .kpi small { color: #627d98; font-size: 12px; }
.card { background: #fff; border: 1px solid #d9e2ec; border-radius: 6px; padding: 6px 10px; margin-bottom: 14px; }
.howto { font-size: 13px; color: #486581; margin: 2px 6px 6px; }
.note { font-size: 13px; color: #8d2b0b; margin: 0 0 10px; }
table.data { border-collapse: collapse; font-size: 13px; width: 100%; }
table.data th, table.data td { border-bottom: 1px solid #e4e7eb; padding: 4px 8px; text-align: left; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
.panel { background: #fff; border: 2px solid #3182bd; border-radius: 6px; padding: 10px 14px; margin-bottom: 14px; }
.panel h3 { margin: 0 0 6px; } button { padding: 6px 12px; margin-right: 8px; cursor: pointer; }
"""
