/**
 * The HTML of the vetting-queue page (api/vetting-page.ts): server-rendered, no script, every value escaped. Each form
 * that changes something carries the session's CSRF token as a hidden field.
 */
import type { Organization, OrganizationDocumentInfo, Vetting } from '../db/repositories/organizations';
import type { VettedOrganization, VettingEvidence } from '../db/repositories/vetted-organizations';
import { callbackOutcomes, documentCheckOutcomes } from '../domain/vetting';
import { escapeHtml } from './html-escape';

export function page(title: string, body: string, who?: { name: string; csrfToken: string }): string {
  const bar = who
    ? `<nav><a href="/operator/vettings">Vetting queue</a> · ${escapeHtml(who.name)} <form method="post" action="/operator/logout" class="inline"><input type="hidden" name="csrf" value="${escapeHtml(who.csrfToken)}"><button>Log out</button></form></nav>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
form.inline{display:inline}fieldset{margin:1em 0;max-width:40em}label{display:block;margin:.3em 0}.error{color:#a00}</style></head>
<body>${bar}<h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export function loginPage(error?: string): string {
  return page(
    'Operator login',
    `${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/operator/login"><label>Name <input name="name" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label><button>Log in</button></form>`,
  );
}

export function queuePage(rows: ReadonlyArray<{ vetting: Vetting; legalName: string; corporateNumber: string | null }>, who: { name: string; csrfToken: string }): string {
  const body = rows.length
    ? `<table><thead><tr><th>Organization</th><th>Corporate number</th><th>Status</th><th>Registered</th><th>Expires</th></tr></thead><tbody>${rows
        .map(
          (r) =>
            `<tr data-vetting="${escapeHtml(r.vetting.id)}"><td><a href="/operator/vettings/${escapeHtml(r.vetting.id)}">${escapeHtml(r.legalName)}</a></td><td>${escapeHtml(r.corporateNumber ?? '—')}</td><td class="status">${escapeHtml(r.vetting.status)}</td><td>${escapeHtml(r.vetting.createdAt.toISOString())}</td><td>${escapeHtml(r.vetting.expiresAt.toISOString())}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p>No vettings.</p>';
  return page('Vetting queue', body, who);
}

const hidden = (csrf: string) => `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;
const options = (values: readonly string[]) => values.map((v) => `<option>${escapeHtml(v)}</option>`).join('');

export function vettingPage(
  v: { vetting: Vetting; organization: Organization; evidence: VettingEvidence[]; documents: OrganizationDocumentInfo[]; record: VettedOrganization | null; message?: string },
  who: { name: string; csrfToken: string },
): string {
  const o = v.organization;
  const base = `/operator/vettings/${escapeHtml(v.vetting.id)}`;
  const evidence = v.evidence
    .map((e) => `<tr><td>${e.id}</td><td>${escapeHtml(e.kind)}</td><td>${escapeHtml(e.status)}</td><td>${escapeHtml(e.operatorId ?? 'system')}</td><td><pre>${escapeHtml(JSON.stringify(e.data, null, 1))}</pre></td><td>${escapeHtml(e.recordedAt.toISOString())}</td></tr>`)
    .join('');
  const docs = v.documents
    .map((d) => `<li><a href="/operator/documents/${escapeHtml(d.id)}">${escapeHtml(d.fileName ?? d.id)}</a> (${escapeHtml(d.contentType)}, ${d.size} bytes)</li>`)
    .join('');
  const forms = `
<fieldset><legend>Documents (vetting agent, CP 3.2.2.1)</legend><form method="post" action="${base}/document-check">${hidden(who.csrfToken)}
${v.documents.map((d) => `<label><input type="checkbox" name="documentIds" value="${escapeHtml(d.id)}" checked> ${escapeHtml(d.fileName ?? d.id)}</label>`).join('')}
<label>Outcome <select name="outcome">${options(documentCheckOutcomes)}</select></label><label>Note <input name="note"></label><button>Record document check</button></form></fieldset>
<fieldset><legend>Call-back (vetting agent, CP 3.2.5)</legend><form method="post" action="${base}/callback">${hidden(who.csrfToken)}
<label>Source of the number <input name="source" required></label><label>Number called <input name="phoneNumber" required></label>
<label>Answered by <input name="answeredBy" required></label><label>Outcome <select name="outcome">${options(callbackOutcomes)}</select></label>
<label>Note <input name="note"></label><button>Record call-back</button></form></fieldset>
<fieldset><legend>Decision (approver, four-eyes)</legend><form method="post" action="${base}/approve" class="inline">${hidden(who.csrfToken)}<button id="approve">Approve</button></form>
<form method="post" action="${base}/reject">${hidden(who.csrfToken)}<label>Reason <input name="reason" required></label><button>Reject</button></form></fieldset>`;
  const body = `${v.message ? `<p class="error" role="alert">${escapeHtml(v.message)}</p>` : ''}
<p>Status: <strong id="status">${escapeHtml(v.vetting.status)}</strong> · expires ${escapeHtml(v.vetting.expiresAt.toISOString())}</p>
<h2>Organization</h2><table>
<tr><th>Legal name</th><td>${escapeHtml(o.legalName)}</td></tr><tr><th>English name</th><td>${escapeHtml(o.englishName ?? '—')}</td></tr>
<tr><th>Corporate number</th><td>${escapeHtml(o.corporateNumber ?? 'no legal personality')}</td></tr>
<tr><th>Head office</th><td>${escapeHtml(`${o.prefecture} ${o.city} ${o.street}`)}</td></tr><tr><th>Telephone (applicant's: not for the call-back)</th><td>${escapeHtml(o.telephone)}</td></tr>
<tr><th>Representative</th><td>${escapeHtml(`${o.representativeName}, ${o.representativeTitle} <${o.representativeEmail}>`)}</td></tr></table>
${v.record ? `<h2>Vetted record</h2><p id="record">C=${escapeHtml(v.record.country)}, ST=${escapeHtml(v.record.stateOrProvince)}, L=${escapeHtml(v.record.locality)}, O=${escapeHtml(v.record.organizationName)}; valid until ${escapeHtml(v.record.validUntil.toISOString())}</p>` : ''}
<h2>Evidence</h2><table><thead><tr><th>#</th><th>Kind</th><th>Status</th><th>Operator</th><th>Data</th><th>At</th></tr></thead><tbody>${evidence}</tbody></table>
<h2>Documents</h2>${docs ? `<ul>${docs}</ul>` : '<p>None uploaded.</p>'}
${forms}`;
  return page(`Vetting ${v.vetting.id}`, body, who);
}
