// RidgeGate confirmation desk page: plain JavaScript, no build step, talks to the JSON API with the
// operator's bearer token (kept in sessionStorage only for this browser tab).
"use strict";

const FINGER_LABEL = {
  LeftThumb: "L thumb", RightThumb: "R thumb", LeftIndex: "L index",
  RightIndex: "R index", LeftMiddle: "L middle", RightMiddle: "R middle",
};
const FINGER_PATH = {
  LeftThumb: "left-thumb", RightThumb: "right-thumb", LeftIndex: "left-index-finger",
  RightIndex: "right-index-finger", LeftMiddle: "left-middle-finger", RightMiddle: "right-middle-finger",
};
const ORDER = ["LeftThumb", "RightThumb", "LeftIndex", "RightIndex", "LeftMiddle", "RightMiddle"];

const state = { token: sessionStorage.getItem("rg-token") || "", me: null, applicant: null, session: null, virtual: false, attempts: 0 };
const $ = (id) => document.getElementById(id);

function text(el, s, cls) {
  el.textContent = s || "";
  if (cls !== undefined) el.className = cls;
}

async function api(method, path, body, contentType) {
  const headers = { Authorization: "Bearer " + state.token };
  if (body !== undefined && contentType) headers["Content-Type"] = contentType;
  const resp = await fetch(path, { method, headers, body });
  const ct = resp.headers.get("content-type") || "";
  let data;
  if (ct.startsWith("application/json")) data = await resp.json();
  else if (ct.startsWith("image/")) data = await resp.blob();
  else data = await resp.text();
  return { status: resp.status, ok: resp.ok, data };
}

function errorText(r) {
  if (r.data && r.data.message) return r.data.message + " (" + r.data.error + ")";
  return "HTTP " + r.status;
}

// ---- login -------------------------------------------------------------------------------
async function login(ev) {
  if (ev) ev.preventDefault();
  const t = $("token").value.trim() || state.token;
  if (!t) return;
  state.token = t;
  const r = await api("GET", "/api/me");
  if (!r.ok) {
    text($("login-error"), "Login failed: " + errorText(r));
    state.token = "";
    sessionStorage.removeItem("rg-token");
    return;
  }
  if (r.data.role !== "desk" && r.data.role !== "supervisor") {
    text($("login-error"), "This token has role " + r.data.role + "; the desk needs a desk operator or supervisor token.");
    state.token = "";
    return;
  }
  sessionStorage.setItem("rg-token", t);
  state.me = r.data;
  text($("whoami"), r.data.actor + " (" + r.data.role + ") at " + r.data.station);
  text($("login-error"), "");
  $("login-panel").hidden = true;
  $("work").hidden = false;
  const sc = await api("GET", "/api/scanner");
  state.virtual = sc.ok && sc.data.is_virtual;
  $("virtual-panel").hidden = !state.virtual;
  $("capture").disabled = !(sc.ok && sc.data.present);
  $("lookup-id").focus();
}

function logout() {
  sessionStorage.removeItem("rg-token");
  state.token = "";
  location.reload();
}

// ---- applicant ---------------------------------------------------------------------------
async function lookup(ev) {
  if (ev) ev.preventDefault();
  const id = $("lookup-id").value.trim();
  if (!id) return;
  text($("lookup-error"), "");
  const r = await api("GET", "/api/applicants/" + encodeURIComponent(id));
  if (!r.ok) {
    $("applicant").hidden = true;
    text($("lookup-error"), errorText(r));
    return;
  }
  state.applicant = r.data;
  renderApplicant();
  const s = await api("GET", "/api/applicants/" + encodeURIComponent(id) + "/confirmation");
  if (s.ok) showSession(s.data);
  else $("capture-panel").hidden = true;
  $("result-panel").hidden = true;
  const enrolled = r.data.enrollment.enrolled_year !== null;
  $("pledge-panel").hidden = !enrolled && r.data.enrollment.required;
  renderPledge();
}

function row(k, v) {
  const tr = document.createElement("tr");
  const th = document.createElement("th");
  const td = document.createElement("td");
  th.textContent = k;
  td.textContent = v;
  tr.append(th, td);
  return tr;
}

async function renderApplicant() {
  const a = state.applicant;
  const facts = $("facts");
  facts.replaceChildren(
    row("Applicant ID", a.id),
    row("Name", a.name),
    row("National ID number", a.national_id),
    row("Student number", a.student_number),
    row("Cohort / application month", a.cohort_year + " / " + a.application_month),
    row("Degrees", "bachelor " + (a.bachelor_date || "—") + ", master " + (a.master_date || "—") + ", doctoral " + (a.doctor_date || "—")),
    row("Eligibility", (a.eligibility.eligible ? "eligible: " : "NOT eligible: ") + a.eligibility.reason),
    row("Enrollment", a.enrollment.reason),
    row("Status", a.status),
    row("Photo", a.photo.present ? (a.photo.passed ? "on record, passed the check" : "on record, failed") : "missing — upload below"),
  );
  if (a.duplicate_review) facts.append(row("Duplicate review", a.duplicate_review.state));
  $("applicant").hidden = false;
  $("start").hidden = !(a.eligibility.eligible && a.enrollment.required);
  $("start").disabled = !a.photo.passed;
  const img = $("photo");
  if (a.photo.present) {
    const r = await api("GET", "/api/applicants/" + encodeURIComponent(a.id) + "/photo");
    if (r.ok) {
      img.src = URL.createObjectURL(r.data);
      img.hidden = false;
    }
  } else {
    img.hidden = true;
  }
}

async function uploadPhoto() {
  const f = $("photo-file").files[0];
  if (!f || !state.applicant) return;
  const r = await api("PUT", "/api/applicants/" + encodeURIComponent(state.applicant.id) + "/photo", f, "image/jpeg");
  const out = $("photo-result");
  if (r.ok) {
    text(out, "Photo accepted.", "ok");
  } else if (r.data && r.data.failures) {
    text(out, "Photo rejected: " + r.data.failures.join("; "), "error");
  } else {
    text(out, errorText(r), "error");
  }
  $("photo-file").value = "";
  const again = await api("GET", "/api/applicants/" + encodeURIComponent(state.applicant.id));
  if (again.ok) {
    state.applicant = again.data;
    renderApplicant();
  }
}

// ---- capture session ---------------------------------------------------------------------
async function startSession() {
  const r = await api("POST", "/api/applicants/" + encodeURIComponent(state.applicant.id) + "/confirmation");
  if (!r.ok) {
    text($("lookup-error"), errorText(r));
    return;
  }
  showSession(r.data);
  prompt("Place the " + fingerName(r.data.next) + " on the scanner.", "");
}

function fingerName(next) {
  return next ? FINGER_LABEL[next.finger] + " (capture " + (next.view + 1) + " of 4)" : "";
}

function prompt(msg, cls) {
  text($("prompt"), msg, "prompt " + (cls || ""));
}

function showSession(s) {
  state.session = s;
  $("capture-panel").hidden = false;
  for (const id of ["capture-file", "restart", "abandon"]) $(id).disabled = false;
  const grid = $("grid");
  const head = document.createElement("tr");
  head.innerHTML = "<th>finger</th><th>1</th><th>2</th><th>3</th><th>4</th><th>attempts</th>";
  const rows = [head];
  for (const f of s.fingers) {
    const tr = document.createElement("tr");
    tr.dataset.finger = f.finger;
    if (f.state === "current") tr.className = "current";
    const th = document.createElement("th");
    th.textContent = FINGER_LABEL[f.finger] + " (" + f.code + ")";
    tr.append(th);
    for (let v = 0; v < s.views_per_finger; v++) {
      const td = document.createElement("td");
      const view = f.views[v];
      if (view) {
        td.textContent = "Q " + view.quality + (view.below_threshold ? " (low)" : "");
        td.className = view.below_threshold ? "low" : "filled";
        td.title = view.minutiae + " minutiae" + (view.view_match !== null ? ", match " + view.view_match.toFixed(1) : "");
      } else if (s.next && s.next.finger === f.finger && s.next.view === v) {
        td.textContent = f.retries_used ? "retry " + f.retries_used + "/" + s.max_retries : "next";
        td.className = "current";
      } else {
        td.textContent = "—";
      }
      tr.append(td);
    }
    const att = document.createElement("td");
    att.textContent = f.attempts;
    tr.append(att);
    rows.push(tr);
  }
  grid.replaceChildren(...rows);
  const done = s.fingers.reduce((n, f) => n + f.views.length, 0);
  text($("progress-text"), done + " / " + s.fingers.length * s.views_per_finger);
  const sel = $("restart-finger");
  if (!sel.options.length) {
    for (const f of ORDER) {
      const o = document.createElement("option");
      o.value = FINGER_PATH[f];
      o.textContent = FINGER_LABEL[f];
      sel.append(o);
    }
  }
  $("capture").disabled = s.complete;
}

async function virtual(cmd) {
  const r = await api("POST", "/api/scanner/virtual", JSON.stringify(cmd), "application/json");
  if (r.ok) text($("vs-status"), "scanner: " + (r.data.unplugged ? "UNPLUGGED" : "connected") + ", " + r.data.pending_steps + " scripted step(s) pending, last image " + (r.data.last_served || "—"));
  else text($("vs-status"), errorText(r));
  return r;
}

// The simulated person's synthetic fingers: person p has fingers 6p .. 6p+5 in capture order.
function simulatedFinger(slotFinger, offset) {
  const p = Math.max(0, parseInt($("vs-person").value || "0", 10));
  return 6 * p + ((ORDER.indexOf(slotFinger) + offset) % 6);
}

async function capture(body) {
  const s = state.session;
  if (!s || !s.next) return;
  $("capture").disabled = true;
  try {
    if (body === undefined && state.virtual) {
      // Present the simulated person's finger for this slot (or, once, a wrong one);
      // impressions advance with the attempts.
      const offset = state.wrongNext ? 1 : 0;
      state.wrongNext = false;
      await virtual({ next_image: { finger: simulatedFinger(s.next.finger, offset), impression: (s.next.view + state.attempts) % 8 } });
    }
    state.attempts++;
    const path = "/api/applicants/" + encodeURIComponent(state.applicant.id) + "/confirmation/capture" + (body === undefined ? "?source=scanner" : "");
    prompt("Capturing " + fingerName(s.next) + " …", "");
    const r = await api("POST", path, body, body === undefined ? undefined : "application/octet-stream");
    if (!r.ok) {
      prompt("Scanner or input error: " + errorText(r), "error");
      return;
    }
    showSession(r.data.session);
    const o = r.data.outcome;
    if (o === "accepted" || o === "accepted_below_threshold") {
      state.attempts = 0;
      const q = r.data.step.quality;
      const note = o === "accepted_below_threshold" ? " (accepted below the quality threshold after the retries)" : "";
      if (r.data.session.complete) {
        prompt("All 24 captures done" + note + ". Running the duplicate check …", "done");
        await complete();
      } else {
        prompt("Accepted, quality " + q + note + ". Now place the " + fingerName(r.data.session.next) + ".", "");
      }
    } else if (o === "finger_restarted") {
      prompt("Finger restarted: " + r.data.reason + ". Place the " + fingerName(r.data.session.next) + ".", "error");
    } else {
      const left = r.data.step ? " (" + r.data.step.retries_left + " retries left)" : "";
      prompt("Retry: " + r.data.reason + left, "retry");
    }
  } finally {
    $("capture").disabled = !state.session || state.session.complete;
  }
}

async function uploadCapture() {
  const f = $("capture-file").files[0];
  if (!f) return;
  await capture(f);
  $("capture-file").value = "";
}

async function restartFinger() {
  const r = await api("POST", "/api/applicants/" + encodeURIComponent(state.applicant.id) + "/confirmation/fingers/" + $("restart-finger").value + "/restart");
  if (r.ok) {
    showSession(r.data);
    prompt("Finger restarted. Place the " + fingerName(r.data.next) + ".", "");
  } else prompt(errorText(r), "error");
}

async function abandon() {
  const r = await api("DELETE", "/api/applicants/" + encodeURIComponent(state.applicant.id) + "/confirmation");
  if (r.ok) {
    $("capture-panel").hidden = true;
    state.session = null;
  } else prompt(errorText(r), "error");
}

async function complete() {
  const r = await api("POST", "/api/applicants/" + encodeURIComponent(state.applicant.id) + "/confirmation/complete");
  const out = $("duplicate-result");
  $("result-panel").hidden = false;
  if (!r.ok) {
    out.replaceChildren(document.createTextNode("Enrollment failed: " + errorText(r)));
    out.className = "error";
    return;
  }
  const d = r.data.duplicate_check;
  const p = document.createElement("p");
  if (r.data.flagged_for_review) {
    p.className = "flag";
    p.textContent = "POSSIBLE DUPLICATE ENROLLMENT — flagged for the supervisor (nothing merged). Matches: " +
      d.candidates.map((c) => c.applicant + " (score " + c.best_score.toFixed(1) + ", " + c.matches.length + " finger(s))").join(", ");
  } else {
    p.className = "ok";
    p.textContent = "No duplicate: no match among " + d.gallery_templates + " enrolled templates. Enrolled " + r.data.year + ".";
  }
  out.replaceChildren(p);
  // Keep the final grid on screen; capturing is over.
  for (const id of ["capture", "capture-file", "restart", "abandon"]) $(id).disabled = true;
  $("pledge-panel").hidden = false;
  prompt("", "");
  const again = await api("GET", "/api/applicants/" + encodeURIComponent(state.applicant.id));
  if (again.ok) {
    state.applicant = again.data;
    renderApplicant();
  }
}

// ---- pledge and form ---------------------------------------------------------------------
function renderPledge() {
  const a = state.applicant;
  const out = $("pledge-result");
  if (a && a.pledge) text(out, "Pledge recorded: signed by " + a.pledge.signed_name + ".", "ok");
  else text(out, "");
}

async function submitPledge() {
  const body = JSON.stringify({ accepted: $("pledge-accept").checked, signed_name: $("pledge-name").value });
  const r = await api("POST", "/api/applicants/" + encodeURIComponent(state.applicant.id) + "/pledge", body, "application/json");
  if (r.ok) {
    state.applicant.pledge = r.data;
    renderPledge();
  } else text($("pledge-result"), errorText(r), "error");
}

async function printForm() {
  const r = await api("GET", "/api/applicants/" + encodeURIComponent(state.applicant.id) + "/form");
  if (!r.ok) {
    text($("pledge-result"), errorText(r), "error");
    return;
  }
  const frame = $("form-frame");
  frame.hidden = false;
  frame.onload = () => {
    frame.dataset.loaded = "1";
    if (!navigator.webdriver && !location.search.includes("noprint")) frame.contentWindow.print();
  };
  frame.srcdoc = r.data;
}

// ---- wiring ------------------------------------------------------------------------------
$("login-form").addEventListener("submit", login);
$("logout").addEventListener("click", logout);
$("lookup-form").addEventListener("submit", lookup);
$("photo-file").addEventListener("change", uploadPhoto);
$("start").addEventListener("click", startSession);
$("capture").addEventListener("click", () => capture(undefined));
$("capture-file").addEventListener("change", uploadCapture);
$("restart").addEventListener("click", restartFinger);
$("abandon").addEventListener("click", abandon);
$("pledge-submit").addEventListener("click", submitPledge);
$("print").addEventListener("click", printForm);
$("vs-low").addEventListener("click", () => virtual({ script: ["low_quality"] }));
$("vs-short").addEventListener("click", () => virtual({ script: ["retry:too_short"] }));
$("vs-unplug").addEventListener("click", () => virtual({ script: ["unplug"] }));
$("vs-replug").addEventListener("click", () => virtual({ replug: true }));
$("vs-wrong").addEventListener("click", () => {
  // The next scanner capture presents a neighbouring finger of the simulated person.
  state.wrongNext = true;
  text($("vs-status"), "next capture: a wrong finger");
});
if (state.token) login();
