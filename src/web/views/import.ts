/**
 * CSV-Import (technician): a dry run (POST /api/devices/import?dryRun=true) shows what every row would do, then
 * the import itself with a progress bar fed by the NDJSON progress lines of the response.
 */
import { errorOf, get } from '../api.js';
import { h, numCol, replace, table, uid } from '../dom.js';
import * as f from '../format.js';
import { t } from '../i18n/index.js';
import type { ModelInfo } from '../readings.js';
import { heading, type View } from './view.js';

interface Progress {
  readonly type: 'progress';
  readonly phase: 'validate' | 'save' | 'provision';
  readonly done: number;
  readonly total: number;
}
interface RowResult {
  readonly row: number;
  readonly devEui: string | null;
  readonly action: 'create' | 'update' | 'unchanged' | 'error';
  readonly message?: string;
  readonly provisioning?: { readonly status: string; readonly error: string | null };
}
interface Result {
  readonly type: 'result';
  readonly dryRun: boolean;
  readonly ignoredColumns?: readonly string[];
  readonly summary: { rows: number; create: number; update: number; unchanged: number; error: number; provisioned?: number; provisioningFailed?: number };
  readonly rows: readonly RowResult[];
}
interface Failure {
  readonly type: 'error';
  readonly error: string;
  readonly message: string;
}
type Line = Progress | Result | Failure;

/** Sends the file and hands every NDJSON line to `onLine` as it arrives. */
export async function streamImport(file: Blob, query: string, onLine: (line: Line) => void): Promise<void> {
  const res = await fetch(`/api/devices/import${query}`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'text/csv', accept: 'application/x-ndjson' }, body: file });
  if (!res.ok) throw await errorOf(res);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) onLine(JSON.parse(line) as Line);
    }
    if (done) break;
  }
  if (buffer.trim()) onLine(JSON.parse(buffer) as Line);
}

export async function importView(): Promise<View> {
  const models = await get<ModelInfo[]>('/api/models');
  const fileId = uid('file');
  const modelId = uid('default-model');
  const fileInput = h('input', { id: fileId, type: 'file', accept: '.csv,text/csv', 'aria-describedby': `${fileId}-hint` });
  const modelSelect = h('select', { id: modelId }, h('option', { value: '' }, t('import.noDefault')), [...models].sort((a, b) => a.id.localeCompare(b.id)).map((m) => h('option', { value: m.id }, `${m.id} – ${m.vendor} ${m.model}`)));
  const checkButton = h('button', { type: 'button', class: 'primary' }, t('import.check'));
  const importButton = h('button', { type: 'button', disabled: true }, t('import.run'));
  const progress = h('progress', { max: 1, value: 0, 'aria-labelledby': `${fileId}-progress` });
  const progressText = h('p', { id: `${fileId}-progress`, class: 'status-line', role: 'status', 'aria-live': 'polite' });
  const progressBox = h('div', { class: 'progress', hidden: true }, progressText, progress);
  const resultBox = h('div', { class: 'import-result' });
  const errorBox = h('p', { class: 'field-error', role: 'alert' });
  let checked: File | undefined;

  const phaseLabel = (p: Progress['phase']) => t(`import.phase.${p}`);

  function renderResult(r: Result): void {
    const s = r.summary;
    const facts: [string, number | undefined][] = [
      [t('import.sum.rows'), s.rows],
      [t('import.sum.create'), s.create],
      [t('import.sum.update'), s.update],
      [t('import.sum.unchanged'), s.unchanged],
      [t('import.sum.error'), s.error],
      [t('import.sum.provisioned'), s.provisioned],
      [t('import.sum.provisioningFailed'), s.provisioningFailed],
    ];
    const body = h(
      'tbody',
      null,
      r.rows.map((row) =>
        h(
          'tr',
          { dataset: { row: row.row, action: row.action } },
          h('th', { scope: 'row', class: 'num' }, f.num(row.row)),
          h('td', null, row.devEui ? h('code', null, row.devEui) : '–'),
          h('td', null, h('span', { class: `badge ${row.action === 'error' ? 'alarm' : row.action === 'unchanged' ? 'acknowledged' : 'normal'}` }, t(`import.action.${row.action}`))),
          h('td', null, row.message ?? '', row.provisioning?.error ? [h('br'), row.provisioning.error] : null),
        ),
      ),
    );
    replace(
      resultBox,
      h('h2', { tabindex: -1, id: `${fileId}-result` }, r.dryRun ? t('import.dryRunTitle') : t('import.doneTitle')),
      h('dl', { class: 'facts summary' }, facts.filter(([, v]) => v !== undefined).map(([k, v]) => [h('dt', null, k), h('dd', null, f.num(v!))])),
      r.ignoredColumns && r.ignoredColumns.length > 0 ? h('p', { class: 'notice' }, t('import.ignored', { columns: r.ignoredColumns.join(', ') })) : null,
      h('div', { class: 'table-wrap' }, table(r.dryRun ? t('import.rowsCaptionDry') : t('import.rowsCaption'), [numCol(t('import.row')), 'DevEUI', t('import.action'), t('import.message')], body, { class: 'import-rows' })),
    );
  }

  async function run(dryRun: boolean): Promise<void> {
    const file = fileInput.files?.[0];
    errorBox.textContent = '';
    if (!file) {
      errorBox.textContent = t('import.noFile');
      fileInput.focus();
      return;
    }
    checkButton.disabled = true;
    importButton.disabled = true;
    progressBox.hidden = false;
    progress.value = 0;
    progressText.textContent = t('import.sending');
    let result: Result | undefined;
    const query = `?${new URLSearchParams({ ...(dryRun ? { dryRun: 'true' } : {}), ...(modelSelect.value ? { model: modelSelect.value } : {}) }).toString()}`;
    try {
      await streamImport(file, query === '?' ? '' : query, (line) => {
        if (line.type === 'progress') {
          progress.max = Math.max(1, line.total);
          progress.value = line.done;
          progressText.textContent = t('import.progress', { phase: phaseLabel(line.phase), done: f.num(line.done), total: f.num(line.total) });
        } else if (line.type === 'result') result = line;
        else errorBox.textContent = t('import.brokeOff', { message: line.message });
      });
      if (result) {
        progress.value = progress.max;
        progressText.textContent = result.dryRun ? t('import.checked') : t('import.finished');
        renderResult(result);
        resultBox.querySelector('h2')?.focus();
        checked = dryRun ? file : undefined;
      }
    } catch (err) {
      const e = err as Error & { problems?: readonly string[] };
      errorBox.textContent = e.problems && e.problems.length > 0 ? e.problems.join('; ') : e.message;
      progressBox.hidden = true;
    } finally {
      checkButton.disabled = false;
      importButton.disabled = !(checked && fileInput.files?.[0] === checked && result?.dryRun && result.summary.rows > result.summary.error);
    }
  }

  checkButton.addEventListener('click', () => void run(true));
  importButton.addEventListener('click', () => void run(false));
  fileInput.addEventListener('change', () => {
    checked = undefined;
    importButton.disabled = true;
    replace(resultBox);
    progressBox.hidden = true;
  });

  return {
    title: t('import.title'),
    el: h(
      'section',
      { 'data-view': 'import' },
      h('p', null, h('a', { href: '#/geraete' }, `← ${t('devices.back')}`)),
      heading(t('import.title')),
      h('p', { class: 'intro' }, t('import.intro')),
      h(
        'div',
        { class: 'panel' },
        h('div', { class: 'field' }, h('label', { for: fileId }, t('import.file')), h('p', { class: 'hint', id: `${fileId}-hint` }, t('import.fileHint')), fileInput),
        h('div', { class: 'field' }, h('label', { for: modelId }, t('import.defaultModel')), modelSelect),
        errorBox,
        h('div', { class: 'actions' }, checkButton, importButton),
        progressBox,
      ),
      resultBox,
    ),
  };
}
