/// The inline stylesheet and script of report.html (no network fetch).
extension HTMLReport {
  static let css = """
    :root{--ink:\(Palette.ink);--muted:\(Palette.muted);--accent:\(Palette.accent);--bad:\(Palette.overdue);--line:#8a8a8a;--head:\(Palette.headerBackground);--zebra:\(Palette.zebra)}
    *{box-sizing:border-box}
    body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:var(--ink);background:#fff;margin:0 auto;max-width:78rem;padding:0 1rem 2rem;line-height:1.45;font-size:1rem}
    a{color:var(--accent)}a:focus-visible,button:focus-visible,select:focus-visible,summary:focus-visible,.scroll:focus-visible{outline:3px solid var(--ink);box-shadow:0 0 0 6px \(Palette.focus)}
    .skip{position:absolute;left:-999px;top:0;background:\(Palette.focus);color:var(--ink);padding:.5rem 1rem}.skip:focus{left:1rem;z-index:2}
    .banner{background:\(Palette.banner);border-left:6px solid var(--ink);padding:.5rem .8rem;margin:1rem 0 0}
    h1{font-size:1.7rem;margin:1rem 0 .3rem;line-height:1.2}.lede{margin:0 0 .6rem;font-size:1.05rem}
    h2{font-size:1.35rem;border-bottom:3px solid var(--accent);padding-bottom:.2rem;margin:2.4rem 0 .8rem}
    h3{font-size:1.1rem;margin:1.6rem 0 .4rem}
    nav ol{display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;padding:.6rem 0;margin:0;list-style:none;border-top:1px solid var(--line);border-bottom:1px solid var(--line);counter-reset:n}
    nav li{counter-increment:n}nav li::before{content:counter(n) ". ";color:var(--muted)}nav li:last-child::before{content:"";}
    .kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.6rem;list-style:none;padding:0;margin:0}
    .kpis li{border:1px solid var(--line);border-top:4px solid var(--accent);padding:.5rem .7rem;color:var(--muted)}
    .kpi{display:block;font-size:1.7rem;font-weight:700;color:var(--ink);font-variant-numeric:tabular-nums}
    .scroll{overflow-x:auto;margin:.8rem 0}
    table{border-collapse:collapse;width:100%;font-size:.9rem}
    caption{text-align:left;font-weight:600;padding:.3rem 0;caption-side:top}
    th,td{border:1px solid var(--line);padding:.3rem .45rem;vertical-align:top;text-align:left}
    thead th{background:var(--head)}tbody th{font-weight:600}tbody tr:nth-child(even){background:var(--zebra)}
    .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
    .nhs,.nowrap,.date{white-space:nowrap;font-variant-numeric:tabular-nums}.wrap{overflow-wrap:anywhere;min-width:9rem}
    .code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.85em}
    .side,.none,.source{color:var(--muted)}.warn{color:var(--bad)}
    ul.plain{margin:0;padding-left:1.1rem}
    .notice{border-left:6px solid var(--bad);padding:.4rem .8rem;background:var(--zebra)}
    dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}
    figure{margin:1rem 0}svg.chart{display:block;max-width:100%;height:auto}figcaption{color:var(--muted);font-size:.9rem;margin-top:.3rem}
    details{margin-top:.3rem}summary{cursor:pointer;color:var(--accent);text-decoration:underline}details ul{margin:.3rem 0 0;padding-left:1.1rem}
    table.worklist td:last-child{min-width:15rem}thead th.num{white-space:normal}
    table.worklist{border-collapse:separate;border-spacing:0;border-top:1px solid var(--line);border-left:1px solid var(--line)}
    table.worklist th,table.worklist td{border-width:0 1px 1px 0}
    table.worklist tbody th{position:sticky;left:0;background:#fff;z-index:1}table.worklist tbody tr:nth-child(even) th{background:var(--zebra)}
    .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,26rem),1fr));gap:0 2rem}
    .pair{display:grid;grid-template-columns:minmax(0,1fr);gap:0 2rem;align-items:start}
    @media (min-width:72rem){.pair{grid-template-columns:minmax(0,30rem) minmax(0,1fr)}.pair figure{margin-top:.8rem}}
    table.narrow{width:auto;min-width:min(100%,24rem)}.pair table.narrow{width:100%}
    .controls fieldset{min-width:0;display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:flex-end;border:1px solid var(--line);padding:.5rem .8rem .8rem}
    .controls legend{font-weight:600;padding:0 .3rem}.field{display:flex;flex-direction:column;gap:.15rem;min-width:0;max-width:min(22rem,100%)}
    select,button{font:inherit;padding:.3rem .5rem;border:1px solid var(--ink);border-radius:2px;background:#fff;color:var(--ink);max-width:100%}
    th button.sort{background:none;border:0;border-radius:0;padding:0;margin:0;font:inherit;font-weight:inherit;text-align:inherit;cursor:pointer;display:inline-block;width:100%;max-width:none;color:var(--ink)}
    th button.sort::after{content:"\\00a0\\2195";color:var(--muted)}
    th[aria-sort=ascending] button.sort::after{content:"\\00a0\\25B2";color:var(--ink)}
    th[aria-sort=descending] button.sort::after{content:"\\00a0\\25BC";color:var(--ink)}
    th[aria-sort] button.sort{text-decoration:underline}
    th button.sort:focus-visible{outline:3px solid var(--ink);box-shadow:0 0 0 6px \(Palette.focus)}
    .js-only{display:none}.js .js-only{display:inline}.status:empty{display:none}
    footer{margin-top:3rem;border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}
    @media (max-width:40rem){body{padding:0 .6rem 1rem}h1{font-size:1.35rem}h2{font-size:1.2rem}.kpi{font-size:1.4rem}
    dl{grid-template-columns:1fr}dd{margin-bottom:.4rem}table{font-size:.85rem}table.worklist td:last-child{min-width:16rem}}
    @media print{@page{size:A4;margin:14mm 12mm}@page wide{size:A4 landscape;margin:12mm}
    body{max-width:none;padding:0;font-size:9pt}#worklist{page:wide}
    .skip,nav,#wl-controls,.status,.js-only{display:none!important}
    .banner{border:1pt solid #000}.scroll{overflow:visible}
    a{color:inherit;text-decoration:none}
    h2{break-after:avoid;margin-top:1.6rem}h3{break-after:avoid}caption{break-after:avoid}
    svg.chart{width:95mm;height:auto}figure{margin:.4rem 0}figcaption{font-size:8pt}
    table.worklist tbody th{position:static;background:none!important}th[aria-sort] button.sort{text-decoration:none}th button.sort{display:contents}
    table.worklist{font-size:7.5pt}table.worklist th,table.worklist td{padding:.15rem .3rem}details{margin:0}
    thead{display:table-header-group}tr,figure,.kpis li,dl{break-inside:avoid}
    table{font-size:8pt}table.worklist td:last-child{min-width:0}.wrap{min-width:7rem}
    tbody tr:nth-child(even){background:none}thead th{background:#eee}
    details:not([open]) summary{display:none}th button.sort::after{content:""!important}.screen-only{display:none}}
    """

  /// Sorts the worklist by any column (aria-sort on the sorted header only)
  /// and filters it by site, consultant and finding. Without it the page is
  /// complete: the list stays in its printed order.
  static let script = """
    (function(){
    "use strict";
    document.documentElement.className+=" js";
    var table=document.getElementById("worklist-table");
    if(!table||!table.tHead||!table.tBodies.length)return;
    var body=table.tBodies[0],heads=table.tHead.rows[0].cells,rows=[],i;
    for(i=0;i<body.rows.length;i++){if(body.rows[i].cells.length>1)rows.push(body.rows[i]);}
    if(!rows.length)return;
    var form=document.getElementById("wl-controls"),status=document.getElementById("wl-status");
    var selects=form.getElementsByTagName("select"),total=rows.length;
    form.hidden=false;
    var sorted={col:5,dir:-1};
    function key(r,c){var cell=r.cells[c],k=cell.getAttribute("data-k");return k===null?cell.textContent:k;}
    function say(){
    var shown=0;for(var j=0;j<rows.length;j++){if(!rows[j].hidden)shown++;}
    status.textContent="Showing "+shown+" of "+total+" findings, sorted by "+heads[sorted.col].textContent.replace(/\\s*[\\u2195\\u25B2\\u25BC].*$/,"")+" "+(sorted.dir>0?"ascending":"descending")+".";
    }
    function sortBy(c,dir){
    var numeric=heads[c].className.indexOf("num")>=0;
    var keyed=rows.map(function(r,n){var k=key(r,c);return{r:r,n:n,k:numeric?(parseFloat(k)||0):k.toLowerCase()};});
    keyed.sort(function(a,b){return a.k<b.k?-dir:a.k>b.k?dir:a.n-b.n;});
    var frag=document.createDocumentFragment();
    rows=keyed.map(function(x){frag.appendChild(x.r);return x.r;});
    body.appendChild(frag);
    for(var j=0;j<heads.length;j++){heads[j].removeAttribute("aria-sort");}
    heads[c].setAttribute("aria-sort",dir>0?"ascending":"descending");
    sorted={col:c,dir:dir};say();
    }
    Array.prototype.forEach.call(heads,function(th,c){
    var b=document.createElement("button");b.type="button";b.className="sort";
    while(th.firstChild)b.appendChild(th.firstChild);th.appendChild(b);
    b.addEventListener("click",function(){sortBy(c,th.getAttribute("aria-sort")==="ascending"?-1:1);});
    });
    function filter(){
    var want=[];for(var j=0;j<selects.length;j++){want.push([selects[j].getAttribute("data-filter"),selects[j].value]);}
    rows.forEach(function(r){var ok=true;for(var j=0;j<want.length;j++){if(want[j][1]!==""&&r.getAttribute("data-"+want[j][0])!==want[j][1])ok=false;}r.hidden=!ok;});
    say();
    }
    form.addEventListener("change",filter);
    form.addEventListener("reset",function(){setTimeout(filter,0);});
    form.addEventListener("submit",function(ev){ev.preventDefault();});
    say();
    })();
    """
}
