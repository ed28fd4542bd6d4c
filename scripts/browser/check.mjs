// Checks a built dossier the way readers meet it: in Chromium, from file://
// and under a sub-path over HTTP. Usage: node check.mjs SITE_DIR SHOT_DIR
//
// - Nu HTML checker (vnu.jar): no errors on any page;
// - axe-core (WCAG 2.0/2.1 A and AA): no violations, light and dark;
// - 375 px wide: no page scrolls sideways;
// - search finds "Rusafa" from file://, keyboard navigation opens a result;
//   the header search box leads to results; the timeline's topic filter works;
// - every internal link and #anchor resolves, crawled over HTTP under the
//   site's sub-path and over file://; 404.html works at any depth;
// - screenshots of every page kind (desktop light, desktop dark, mobile).
//
// Every failure is listed; the exit code is 1 if there was any.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const [siteArg, shotArg] = process.argv.slice(2);
if (!siteArg || !shotArg) {
  console.error("usage: node check.mjs SITE_DIR SCREENSHOT_DIR");
  process.exit(2);
}
const SITE = path.resolve(siteArg);
const SHOTS = path.resolve(shotArg);
fs.mkdirSync(SHOTS, { recursive: true });

const failures = [];
const fail = (what) => {
  failures.push(what);
  console.log(`  FAIL ${what}`);
};
const pass = (what) => console.log(`  ok   ${what}`);
const section = (name) => console.log(`\n== ${name}`);

function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}
const rel = (p) => path.relative(SITE, p).split(path.sep).join("/");
const htmlFiles = walk(SITE).filter((p) => p.endsWith(".html"));

// One page of each kind.
function first(dir) {
  const d = path.join(SITE, dir);
  if (!fs.existsSync(d)) return null;
  const names = fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return names.length ? `${dir}/${names[0]}/index.html` : null;
}
const kinds = {
  home: "index.html",
  source: first("sources"),
  publisher: first("publishers"),
  topic: first("topics"),
  entity: first("entities"),
  timeline: "timeline/index.html",
  discrepancies: "discrepancies/index.html",
  search: "search/index.html",
  print: "print/index.html",
  briefing: first("briefings"),
};
for (const [k, v] of Object.entries(kinds)) {
  if (!v || !fs.existsSync(path.join(SITE, v))) {
    fail(`page kind ${k}: no page in the site`);
    delete kinds[k];
  }
}
const fileUrl = (p) => pathToFileURL(path.join(SITE, p)).href;

// ------------------------------------------------------------- Nu checker
section(`Nu HTML checker over ${htmlFiles.length} pages`);
{
  const jar = path.join(here, "node_modules/vnu-jar/build/dist/vnu.jar");
  const r = spawnSync("java", ["-Xss8m", "-jar", jar, "--format", "json", "--exit-zero-always", ...htmlFiles], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0 || !r.stderr.trim().startsWith("{")) {
    fail(`vnu did not run: ${r.error || r.stderr.slice(0, 500)}`);
  } else {
    const messages = JSON.parse(r.stderr).messages;
    const errors = messages.filter((m) => m.type === "error" || m.subType === "fatal");
    const warnings = messages.filter((m) => m.type !== "error" && m.subType !== "fatal" && m.type !== "info");
    for (const m of errors) fail(`vnu: ${rel(fileURLToPath(m.url))}:${m.lastLine}: ${m.message}`);
    for (const m of warnings.slice(0, 20)) console.log(`  warn ${rel(fileURLToPath(m.url))}:${m.lastLine}: ${m.message}`);
    if (!errors.length) pass(`no errors (${warnings.length} warnings)`);
  }
}

// ------------------------------------------------------------- browser
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
const axeSource = fs.readFileSync(path.join(here, "node_modules/axe-core/axe.min.js"), "utf8");

async function newPage(opts) {
  const ctx = await browser.newContext(opts);
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });
  page.on("requestfailed", (r) => {
    const failure = r.failure()?.errorText;
    // The tab's icon is fetched last and at low priority: going on to the
    // next page cancels it. Not an error; an icon that is not there is a
    // broken link to the crawls below.
    if (failure === "net::ERR_ABORTED" && /\/favicon\.(svg|png|ico)$/.test(r.url())) return;
    errors.push(`${failure}: ${r.url()} (from ${page.url()})`);
  });
  return { ctx, page, errors };
}

section("axe-core (WCAG 2 A/AA), light and dark; screenshots");
for (const scheme of ["light", "dark"]) {
  const { ctx, page, errors } = await newPage({ viewport: { width: 1280, height: 1000 }, colorScheme: scheme });
  for (const [kind, p] of Object.entries(kinds)) {
    await page.goto(fileUrl(p));
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(() =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }),
    );
    if (result.violations.length) {
      for (const v of result.violations) {
        const where = v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ");
        fail(`axe ${scheme} ${kind} (${p}): ${v.id}: ${v.help} [${v.nodes.length}× e.g. ${where}]`);
      }
    } else {
      pass(`axe ${scheme} ${kind}`);
    }
    await page.screenshot({ path: path.join(SHOTS, `${kind}-${scheme}.png`) });
  }
  // Console errors here come from axe itself (it fetches stylesheets, which
  // file:// forbids); pages' own script errors are caught in the next pass.
  void errors;
  await ctx.close();
}

section("375 px wide: no sideways scrolling");
{
  const { ctx, page, errors } = await newPage({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 1 });
  const all = new Set(Object.values(kinds));
  // Every page kind, plus a sample of all pages.
  // (404.html is meant for a server: its <base> names the sub-path; it is checked over HTTP below.)
  for (const f of htmlFiles.filter((f, i) => i % 7 === 0 && rel(f) !== "404.html")) all.add(rel(f));
  for (const p of all) {
    await page.goto(fileUrl(p));
    const r = await page.evaluate(() => {
      const w = window.innerWidth;
      const sw = document.scrollingElement.scrollWidth;
      const wide = [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > w + 1)
        .slice(0, 3)
        .map((e) => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ")[0] : ""));
      return { w, sw, wide };
    });
    if (r.sw > r.w) fail(`${p}: ${r.sw}px wide at ${r.w}px (${r.wide.join(", ")})`);
  }
  pass(`${all.size} pages checked`);
  for (const e of errors) fail(`script error at 375 px: ${e}`);
  if (!errors.length) pass("no script errors");
  for (const [kind, p] of Object.entries(kinds)) {
    await page.goto(fileUrl(p));
    await page.screenshot({ path: path.join(SHOTS, `${kind}-mobile.png`) });
  }
  await ctx.close();
}

section("search from file://");
{
  const { ctx, page, errors } = await newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(fileUrl("search/index.html"));
  await page.fill("#search-input", "Rusafa");
  try {
    await page.waitForSelector("#search-results li", { timeout: 5000 });
    const n = await page.locator("#search-results li").count();
    const marked = await page.locator("#search-results mark").allTextContents();
    if (!marked.some((m) => /rusafa/i.test(m))) fail(`search: no highlighted "Rusafa" among ${n} results`);
    else pass(`"Rusafa": ${n} results, match highlighted`);
    const kindsShown = await page.locator("#search-results li").allTextContents();
    if (!kindsShown.length) fail("search: empty results");
    await page.screenshot({ path: path.join(SHOTS, "search-results.png") });
    const before = page.url();
    await page.focus("#search-input");
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.href !== before, { timeout: 5000 });
    if (!page.url().startsWith("file://") || page.url() === before) fail(`search: Enter did not open a result (${page.url()})`);
    else pass(`ArrowDown + Enter opened ${page.url().slice(page.url().indexOf(path.basename(SITE)))}`);
  } catch (e) {
    fail(`search: ${e.message.split("\n")[0]}`);
  }
  // The search box in the header of another page.
  await page.goto(fileUrl(kinds.timeline || "index.html"));
  await page.fill("#site-search-q", "Rusafa");
  await page.press("#site-search-q", "Enter");
  try {
    await page.waitForSelector("#search-results li", { timeout: 5000 });
    pass("header search box leads to results");
  } catch (e) {
    fail(`header search: no results at ${page.url()}`);
  }
  for (const e of errors) fail(`script error (search): ${e}`);
  await ctx.close();
}

section("timeline topic filter without a server");
{
  const { ctx, page } = await newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(fileUrl("timeline/index.html"));
  const total = await page.locator(".timeline .event").count();
  const buttons = page.locator(".topic-filter button[data-topic]");
  const nb = await buttons.count();
  let worked = false;
  for (let i = 0; i < nb && !worked; i++) {
    const b = buttons.nth(i);
    if (!(await b.getAttribute("data-topic"))) continue;
    await b.click();
    const visible = await page.locator(".timeline .event:not([hidden])").count();
    const pressed = await b.getAttribute("aria-pressed");
    if (visible > 0 && visible < total && pressed === "true") worked = true;
  }
  if (!worked) fail(`timeline filter: no topic button narrows the ${total} events`);
  else pass(`a topic narrows the ${total} events`);
  await ctx.close();
}

// ------------------------------------------------------------- crawl
function decode(s) {
  return s.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
}
function linksOf(html) {
  const out = [];
  const re = /<(a|link|script|img|iframe|source)\b[^>]*?\s(href|src)="([^"]*)"/gi;
  let m;
  while ((m = re.exec(html))) out.push(decode(m[3]));
  return out;
}
function anchorsOf(html) {
  const ids = new Set();
  const re = /\s(?:id|name)="([^"]*)"/g;
  let m;
  while ((m = re.exec(html))) ids.add(decode(m[1]));
  return ids;
}
const baseOf = (html) => (html.match(/<base href="([^"]*)"/) || [])[1];

// Crawls from `start`, following links that stay under `prefix`.
async function crawl(start, prefix, load) {
  const seen = new Map(); // url without fragment -> html or null (non-html)
  const broken = [];
  const queue = [start];
  const refs = [];
  while (queue.length) {
    const url = queue.shift();
    if (seen.has(url)) continue;
    const got = await load(url);
    if (got === undefined) {
      seen.set(url, undefined);
      continue;
    }
    seen.set(url, got);
    if (typeof got !== "string") continue;
    const base = baseOf(got);
    for (const l of linksOf(got)) {
      if (/^(mailto:|javascript:|data:|#$)/i.test(l)) continue;
      const target = new URL(l, base ? new URL(base, url) : url);
      if (!target.href.startsWith(prefix)) {
        if (target.protocol === "file:" || target.host.startsWith("127.0.0.1")) broken.push(`${url} -> ${l} leaves the site`);
        continue;
      }
      const bare = target.href.split("#")[0];
      refs.push({ from: url, link: l, bare, frag: target.hash ? decodeURIComponent(target.hash.slice(1)) : "" });
      if (!seen.has(bare)) queue.push(bare);
    }
  }
  for (const r of refs) {
    const got = seen.get(r.bare);
    if (got === undefined) broken.push(`${r.from} -> ${r.link}: missing`);
    else if (r.frag && typeof got === "string" && !anchorsOf(got).has(r.frag)) broken.push(`${r.from} -> ${r.link}: no #${r.frag}`);
  }
  return { pages: [...seen.values()].filter((v) => typeof v === "string").length, links: refs.length, broken };
}

const types = { ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript", ".json": "application/json", ".xml": "application/xml", ".txt": "text/plain; charset=utf-8", ".csv": "text/csv", ".svg": "image/svg+xml", ".png": "image/png" };
const notFound = fs.existsSync(path.join(SITE, "404.html")) ? fs.readFileSync(path.join(SITE, "404.html"), "utf8") : "";
// The sub-path the site expects (its 404 page's base), else /repo/.
const SUB = baseOf(notFound) || "/repo/";

section(`crawl over HTTP under ${SUB}`);
const server = http.createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  let p = decodeURIComponent(u.pathname);
  if (!p.startsWith(SUB) || p.includes("..")) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not under the sub-path\n");
    return;
  }
  p = path.join(SITE, p.slice(SUB.length));
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) p = path.join(p, "index.html");
  if (fs.existsSync(p) && fs.statSync(p).isFile()) {
    res.writeHead(200, { "content-type": types[path.extname(p)] || "application/octet-stream" }).end(fs.readFileSync(p));
  } else {
    // As GitHub Pages does: the site's 404.html, whatever the depth.
    res.writeHead(404, { "content-type": "text/html; charset=utf-8" }).end(notFound);
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;
{
  const r = await crawl(`${origin}${SUB}index.html`, `${origin}${SUB}`, async (url) => {
    const res = await fetch(url);
    if (res.status !== 200) return undefined;
    return (res.headers.get("content-type") || "").startsWith("text/html") ? await res.text() : null;
  });
  for (const b of r.broken) fail(`http: ${b}`);
  if (!r.broken.length) pass(`${r.pages} pages, ${r.links} links and anchors, none broken`);

  // 404.html at a deep unknown path: styled, and its links stay under the sub-path.
  const { ctx, page } = await newPage({ viewport: { width: 1280, height: 900 } });
  const resp = await page.goto(`${origin}${SUB}no/such/deep/page/`);
  const info = await page.evaluate(() => ({
    sheets: [...document.styleSheets].filter((s) => { try { return s.cssRules.length > 0; } catch { return false; } }).length,
    bg: getComputedStyle(document.body).backgroundColor,
    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
  }));
  if (resp.status() !== 404) fail(`404 page served with ${resp.status()}`);
  if (info.sheets < 1 || info.bg === "rgba(0, 0, 0, 0)") fail(`404 page at depth is unstyled (${info.sheets} sheets, ${info.bg})`);
  const outside = info.links.filter((l) => l.startsWith(origin) && !l.startsWith(`${origin}${SUB}`));
  if (outside.length) fail(`404 page links leave the sub-path: ${outside.slice(0, 3).join(", ")}`);
  if (info.sheets >= 1 && !outside.length && resp.status() === 404) pass("404.html at a deep path: styled, links under the sub-path");
  await page.screenshot({ path: path.join(SHOTS, "404-deep.png") });
  await ctx.close();
}
server.close();

section("crawl over file://");
{
  const root = pathToFileURL(SITE + path.sep).href;
  const r = await crawl(fileUrl("index.html"), root, async (url) => {
    const p = fileURLToPath(url);
    if (!fs.existsSync(p) || !fs.statSync(p).isFile()) return undefined;
    return p.endsWith(".html") ? fs.readFileSync(p, "utf8") : null;
  });
  for (const b of r.broken) fail(`file: ${b.replaceAll(root, "")}`);
  if (!r.broken.length) pass(`${r.pages} pages, ${r.links} links and anchors, none broken`);
}

await browser.close();
console.log(`\nscreenshots: ${path.relative(process.cwd(), SHOTS) || "."}`);
if (failures.length) {
  console.log(`\n${failures.length} failure(s):`);
  for (const f of failures) console.log(`  - ${f}`);
  process.exit(1);
}
console.log("\nall browser checks passed");
