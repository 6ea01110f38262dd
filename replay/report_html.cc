// The page template of `detsim report` (report_html.h): CSS, then the
// data blob, then the script that draws it. The timeline follows Jepsen's
// timeline.html (one row per client, an invoke->complete bar per
// operation, coloured by outcome) with the faults as bands behind it.
#include "replay/report_html.h"

#include <string_view>

namespace detsim {
namespace {

constexpr std::string_view kHead = R"html(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>detsim report</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 6px}
pre,code{font:12px/1.35 ui-monospace,monospace;background:#f4f4f4}
pre{padding:6px 8px;white-space:pre-wrap;margin:4px 0}
.verdict{color:#b00;font-weight:600}.muted{color:#777}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
svg{display:block;background:#fff;border:1px solid #ddd;margin:4px 0}
.legend span{display:inline-block;margin-right:12px}.legend i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:middle}
li.cx-op,li.vx-op{margin-bottom:10px}:target{background:#fff3b0}
.charts{display:flex;gap:16px;flex-wrap:wrap}
</style></head>
<body data-rendered="pending">
<script>window.onerror=function(m,s,l,c){document.body.setAttribute('data-rendered','error: '+m+' (line '+l+')');};</script>
<div id="page"></div>
<script type="application/json" id="data">)html";

constexpr std::string_view kScript = R"html(</script>
<script>
(function(){
const D=JSON.parse(document.getElementById('data').textContent);
const NS='http://www.w3.org/2000/svg';
const page=document.getElementById('page');
const COLORS={ok:'#6db36d',fail:'#e08a8a',info:'#e6c35c'};
const BANDS={crash:'#d62728',pause:'#9467bd',partition:'#ff9f1c',clock:'#1f77b4',disk:'#8c564b',other:'#7f7f7f',leader:'#2c7a2c'};
function el(tag,attrs,text){const e=document.createElement(tag);for(const k in attrs||{})e.setAttribute(k,attrs[k]);if(text!==undefined)e.textContent=text;return e;}
function sv(tag,attrs,parent){const e=document.createElementNS(NS,tag);for(const k in attrs)if(attrs[k]!==null)e.setAttribute(k,attrs[k]);if(parent)parent.appendChild(e);return e;}
function tip(e,text){const t=document.createElementNS(NS,'title');t.textContent=text;e.appendChild(t);}
function add(parent,tag,attrs,text){const e=el(tag,attrs,text);parent.appendChild(e);return e;}
function fmt(s){return s===null||s===undefined?'-':s.toFixed(6).replace(/0+$/,'').replace(/\.$/,'')+'s';}
function opText(o){return 'op '+o.id+': '+(o.client||('p'+o.p))+' '+o.f+(o.key?' '+o.key:'')+' '+o.value+' -> '+o.type+(o.type==='ok'?' '+o.result:'');}

// Title, verdict, violation, reproduce lines.
document.title='detsim report: '+D.scenario+' seed '+D.seed+' '+D.verdict;
add(page,'h1',{},D.scenario+' seed '+D.seed+': ');
page.lastChild.appendChild(el('span',{class:'verdict'},D.verdict+' '+D.property));
add(page,'div',{},D.detail);
add(page,'div',{class:'muted'},'violation at '+fmt(D.violation_at_s)+(D.violation_nodes.length?' on '+D.violation_nodes.join(', '):'')+' of a '+fmt(D.sim_s)+' run; window '+fmt(D.window[0])+'..'+fmt(D.window[1]));
add(page,'h2',{},'Reproduce');
add(page,'pre',{id:'reproduce'},D.reproduce);
add(page,'div',{class:'muted'},'traces around the violation (Graphviz diagram, Perfetto timeline):');
add(page,'pre',{},D.replay);

// Rows: one per node for its crash and pause bands, then one per client.
const clientRows=[];
for(const o of D.ops){const c=o.client||('p'+o.p);if(clientRows.indexOf(c)<0)clientRows.push(c);}
clientRows.sort();
const nodeRows=D.nodes.filter(n=>clientRows.indexOf(n)<0);
for(const b of D.bands)if(b.node&&nodeRows.indexOf(b.node)<0)nodeRows.push(b.node);
function timeline(id,t0,t1,width,rowH,labels){
  const left=70,top=18,rows=nodeRows.concat(clientRows),h=top+rows.length*rowH+22;
  const svg=sv('svg',{id:id,width:width,height:h,viewBox:'0 0 '+width+' '+h});
  const x=t=>left+(Math.min(Math.max(t,t0),t1)-t0)/(t1-t0||1)*(width-left-10);
  const rowY=name=>top+rows.indexOf(name)*rowH;
  for(const b of D.bands){
    if(b.t1<t0||b.t0>t1)continue;
    const w=Math.max(x(b.t1)-x(b.t0),2);
    // A leader's term: a thin line along the foot of its row.
    const r=b.kind==='leader'?(rows.indexOf(b.node)>=0?sv('rect',{x:x(b.t0),y:rowY(b.node)+rowH-4,width:w,height:3,fill:BANDS.leader},svg):null)
                       :b.node&&rows.indexOf(b.node)>=0?sv('rect',{x:x(b.t0),y:rowY(b.node),width:w,height:rowH-1,fill:BANDS[b.kind]||'#999','fill-opacity':0.55},svg)
                       :sv('rect',{x:x(b.t0),y:top,width:w,height:rows.length*rowH,fill:BANDS[b.kind]||'#999','fill-opacity':b.kind==='partition'?0.15:0.5},svg);
    if(!r)continue;
    r.setAttribute('class','band band-'+b.kind);if(b.node)r.setAttribute('data-node',b.node);tip(r,b.label+' ['+fmt(b.t0)+'..'+fmt(b.t1)+']');
  }
  rows.forEach((name,i)=>{const t=sv('text',{x:4,y:top+i*rowH+rowH*0.75,'font-size':Math.min(11,rowH),id:labels?'node-'+name:null,fill:D.violation_nodes.indexOf(name)>=0?'#d00':'#222'},svg);t.textContent=name;
    if(i===nodeRows.length)sv('line',{x1:0,x2:width,y1:top+i*rowH,y2:top+i*rowH,stroke:'#bbb'},svg);});
  for(const o of D.ops){
    const end=o.t1===null?D.sim_s:o.t1;
    if(end<t0||o.t0>t1)continue;
    const y=rowY(o.client||('p'+o.p))+1;
    const attrs={x:x(o.t0),y:y,width:Math.max(x(end)-x(o.t0),1.5),height:rowH-3,fill:COLORS[o.type]||'#ccc'};
    if(o.cx||o.vx){attrs.stroke='#d00';attrs['stroke-width']=2;if(!document.getElementById('op-'+o.id))attrs.id='op-'+o.id;}
    const r=sv('rect',attrs,svg);r.setAttribute('class','op'+(o.cx?' cx':'')+(o.vx?' vx':''));
    tip(r,opText(o)+' ['+fmt(o.t0)+'..'+fmt(o.t1)+']'+(o.server?' served by '+o.server:''));
  }
  // Messages between node rows (models without a client history): a line
  // from the send to the arrival, red for a lost one.
  if(labels)for(const m of D.window_messages){
    if(rows.indexOf(m.from)<0||rows.indexOf(m.to)<0)continue;
    const l=sv('line',{x1:x(m.t0),y1:rowY(m.from)+rowH/2,x2:x(m.t),y2:rowY(m.to)+rowH/2,stroke:m.kind==='drop'?'#d62728':'#4a6fa5','stroke-opacity':0.45,class:'message'},svg);
    tip(l,m.from+' -> '+m.to+' '+m.kind+' ['+fmt(m.t0)+'..'+fmt(m.t)+']: '+m.text);
  }
  if(D.violation_at_s!==null){const vx=x(D.violation_at_s);sv('line',{x1:vx,x2:vx,y1:top-6,y2:h-20,stroke:'#d00','stroke-dasharray':'4 2'},svg);}
  for(let i=0;i<=5;i++){const t=t0+(t1-t0)*i/5;const tx=sv('text',{x:x(t)-12,y:h-6,'font-size':10},svg);tx.textContent=fmt(t);}
  return svg;
}
function legend(){
  const l=el('div',{class:'legend'});
  for(const k in COLORS)l.innerHTML+='<span><i style="background:'+COLORS[k]+'"></i>'+k+'</span>';
  l.innerHTML+='<span><i style="border:2px solid #d00"></i>counterexample or violating operation</span>';
  for(const k in BANDS)l.innerHTML+='<span><i style="background:'+BANDS[k]+';opacity:.6"></i>'+k+'</span>';
  return l;
}
const width=Math.max(900,Math.min(1360,window.innerWidth-60));
add(page,'h2',{},'Timeline around the violation');
add(page,'div',{class:'muted'},D.history?(D.ops.length+' of '+D.ops_total+' operations shown (all inside the window, a sample outside); hover a bar for its operation'):(D.window_messages.length+' messages delivered or lost in the window, drawn from send to arrival (red: lost); the model records no client history'));
page.appendChild(legend());
page.appendChild(timeline('window',D.window[0],D.window[1],width,Math.max(8,Math.min(18,420/Math.max(1,nodeRows.length+clientRows.length))),true));
// One listed operation: who served it, and the messages around it.
function opItem(list,a,cls,label){
  const o=D.ops.find(op=>op.id===a.op);if(!o)return;
  const li=add(list,'li',{class:cls,id:cls+'-'+o.id});
  add(li,'b',{},label);
  add(li,'a',{href:'#op-'+o.id},opText(o));
  li.appendChild(document.createTextNode(' ['+fmt(o.t0)+'..'+fmt(o.t1)+'], served by '));
  if(o.server)add(li,'a',{href:'#node-'+o.server,class:'server'},o.server);else li.appendChild(document.createTextNode('unknown'));
  if(!a.messages.length)return;
  const details=add(li,'details',{});add(details,'summary',{},a.messages.length+' messages to and from '+(o.client||'the client')+(o.server?' and '+o.server:'')+' while it ran');
  const t=add(details,'table',{});
  const head=add(t,'tr',{});['time','kind','from','to','message'].forEach(h=>add(head,'th',{},h));
  for(const m of a.messages){const r=add(t,'tr',{});[fmt(m.t),m.kind,m.from,m.to,m.text].forEach(v=>add(r,'td',{},v));}
}
// The operation the run's check blamed (its client named in the violation,
// running at its time): a stale read the history check may not refute.
if(D.violating.length){
  add(page,'h2',{},'The violating operation ('+D.property+')');
  const list=add(page,'ul',{id:'violating'});
  D.violating.forEach(a=>opItem(list,a,'vx-op','violating: '));
}
// The counterexample: each operation, who served it, the messages around it.
if(D.checker){
  add(page,'h2',{},'Counterexample (linearizability: '+D.checker+')');
  if(D.counterexample.length)add(page,'pre',{},D.counterexample.join('\n'));
  const list=add(page,'ul',{id:'counterexample'});
  // The operation that cannot be linearized (the checker names it last) first.
  D.around.slice().reverse().forEach((a,i)=>opItem(list,a,'cx-op',i===0?'cannot linearize: ':'after: '));
}

add(page,'h2',{},'Whole run');
page.appendChild(timeline('overview',0,D.sim_s,width,Math.max(4,Math.min(10,240/Math.max(1,nodeRows.length+clientRows.length))),false));

// Latency, throughput and messages over the whole run.
function chart(title,values,unit,color){
  const w=420,h=150,left=44,box=el('div',{});add(box,'div',{},title);
  const svg=sv('svg',{width:w,height:h,class:'chart'});box.appendChild(svg);
  const pts=values.map((v,i)=>[i*D.series.bucket_s,v]).filter(p=>p[1]>=0);
  const max=Math.max(1e-9,...pts.map(p=>p[1]));
  const x=t=>left+t/(D.sim_s||1)*(w-left-8),y=v=>h-18-v/max*(h-30);
  sv('path',{d:pts.map((p,i)=>(i?'L':'M')+x(p[0]).toFixed(1)+' '+y(p[1]).toFixed(1)).join(''),fill:'none',stroke:color,'stroke-width':1.5},svg);
  if(D.violation_at_s!==null){const vx=x(D.violation_at_s);sv('line',{x1:vx,x2:vx,y1:6,y2:h-18,stroke:'#d00','stroke-dasharray':'4 2'},svg);}
  const top=sv('text',{x:2,y:14,'font-size':10},svg);top.textContent=max.toPrecision(3)+' '+unit;
  const end=sv('text',{x:w-50,y:h-4,'font-size':10},svg);end.textContent=fmt(D.sim_s);
  return box;
}
add(page,'h2',{},'Latency and throughput');
const charts=add(page,'div',{class:'charts'});
if(D.history){charts.appendChild(chart('mean latency of ok operations (ms)',D.series.latency_ms,'ms','#1f77b4'));
  charts.appendChild(chart('completed operations per second',D.series.ops_per_s,'ops/s','#2ca02c'));}
charts.appendChild(chart('messages sent per second',D.series.messages_per_s,'msg/s','#7f7f7f'));

add(page,'h2',{},'Fault schedule: '+D.schedule_title);
const sched=add(page,'ul',{id:'schedule'});
for(const line of D.schedule)add(sched,'li',line.startsWith('necessary: ')?{style:'font-weight:600'}:{},line);
add(page,'h2',{},'Metrics');
const mt=add(page,'table',{id:'metrics'});
for(const [k,v] of D.metrics){const r=add(mt,'tr',{});add(r,'td',{},k);add(r,'td',{},String(Number.isInteger(v)?v:+v.toFixed(6)));}
if(document.body.getAttribute('data-rendered')==='pending')document.body.setAttribute('data-rendered','ok');
})();
</script>
</body></html>
)html";

// The blob sits inside <script>: "</" would end it early, so it is
// written "<\/", which JSON reads back as the same string.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    out += json[i];
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') out += '\\';
  }
  return out;
}

}  // namespace

std::string render_report_html(const nlohmann::json& page) {
  std::string html(kHead);
  // Invalid UTF-8 in model text (a corrupted payload) becomes U+FFFD
  // rather than an exception.
  html += script_safe(page.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  html += kScript;
  return html;
}

}  // namespace detsim
