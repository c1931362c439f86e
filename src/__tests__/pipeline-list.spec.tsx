import { nullTranslator } from '@jupyterlab/translation';
import * as React from 'react';
import { act } from 'react-dom/test-utils';
import { createRoot, Root } from 'react-dom/client';

import { PipelineList } from '../components/PipelineList';
import { PipelineListModel } from '../model';
import { fakeServer } from './fakeServer';

/** Each row is this tall and the scroller this high, as laid out in a 250 px sidebar. */
const ROW = 30;
const VIEW = 500;

/** `total` pipelines served `page_size` at a time (page_token = offset). */
function pages(total: number) {
  return (endPoint: string) => {
    const url = new URL(endPoint, 'http://x/');
    const size = Number(url.searchParams.get('page_size'));
    const start = Number(url.searchParams.get('page_token') || 0);
    const ids = Array.from({ length: Math.min(size, total - start) }, (_, i) => start + i);
    return {
      pipelines: ids.map(i => ({ id: `id-${i}`, display_name: `p-${i}` })),
      next_page_token: start + size < total ? String(start + size) : '',
      total_size: total
    };
  };
}

// Rendering 50 rows of JupyterLab's components in jsdom takes a while on a busy machine.
jest.setTimeout(30000);

/** jsdom lays nothing out: give the scroller the height its rows would have. */
const observers: (() => void)[] = [];
beforeAll(() => {
  (globalThis as any).IS_REACT_ACT_ENVIRONMENT = true;
  (globalThis as any).ResizeObserver = class {
    constructor(private callback: () => void) {}
    observe() {
      observers.push(this.callback);
    }
    disconnect() {
      observers.splice(observers.indexOf(this.callback), 1);
    }
  };
  Object.defineProperty(HTMLElement.prototype, 'scrollHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.querySelectorAll('.jp-KFPConnect-pipeline').length * ROW;
    }
  });
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get: () => VIEW
  });
  HTMLElement.prototype.getBoundingClientRect = () =>
    ({ top: 100, bottom: 100 + VIEW, height: VIEW, left: 0, right: 250, width: 250 }) as DOMRect;
});

/** Let React commit what is queued and the list's effects run (each may fetch a page). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 10));
    });
  }
}

describe('PipelineList paging as the list is laid out', () => {
  let root: Root;
  let host: HTMLElement;
  beforeEach(() => {
    host = document.createElement('div');
    document.body.appendChild(host);
    root = createRoot(host);
  });
  afterEach(() => {
    root.unmount();
    host.remove();
  });

  async function show(model: PipelineListModel) {
    await act(async () => root.render(
      <PipelineList
        model={model}
        trans={nullTranslator.load('jupyterlab')}
        where="ns"
        onOpen={() => undefined}
        onUpload={() => undefined}
      />
    ));
  }

  it('a resize between a page arriving and its rows rendering fetches nothing more', async () => {
    const { service, calls } = fakeServer(pages(500));
    const model = new PipelineListModel(service, {
      scope: 'private',
      pageSize: 50,
      sortBy: 'created_at desc',
      searchDebounceMs: 0
    });
    await show(model);
    await act(async () => {
      await model.refresh();
      // The model holds 50 rows; React has not rendered them yet. The header above the
      // list changes height at this moment (signed in), so the list is resized.
      expect(host.querySelectorAll('.jp-KFPConnect-pipeline')).toHaveLength(0);
      observers.forEach(callback => callback());
    });
    await settle();
    expect(host.querySelectorAll('.jp-KFPConnect-pipeline')).toHaveLength(50);
    expect(calls).toHaveLength(1);
    expect(host.querySelector('.jp-KFPConnect-listFooter')?.textContent).toBe('50 of 500');
  });

  it('a first page too short to scroll loads more until the list scrolls', async () => {
    const { service, calls } = fakeServer(pages(100));
    const model = new PipelineListModel(service, {
      scope: 'private',
      pageSize: 10,
      sortBy: 'created_at desc',
      searchDebounceMs: 0
    });
    await show(model);
    await act(() => model.refresh());
    await settle();
    // 10 rows (300 px) and 20 rows (600 px) leave the end within reach; 30 rows do not.
    expect(calls).toHaveLength(3);
    expect(host.querySelector('.jp-KFPConnect-listFooter')?.textContent).toBe('30 of 100');
  });
});
