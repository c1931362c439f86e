import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  HTMLSelect,
  InputGroup,
  ToolbarButtonComponent,
  fileUploadIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { PipelineListModel } from '../model';
import { IPipeline, Scope } from '../tokens';
import { formatTime, useSignal } from './hooks';
import { ProblemView } from './ProblemView';

/** Load the next page when the user scrolls within this many pixels of the end. */
const SCROLL_MARGIN = 240;

/** Private / Shared tabs (only when KFP is multi-user). */
export function ScopeTabs(props: {
  scope: Scope;
  onChange: (scope: Scope) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { scope, onChange, trans } = props;
  const tabs: { id: Scope; label: string }[] = [
    { id: 'private', label: trans.__('Private') },
    { id: 'shared', label: trans.__('Shared') }
  ];
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      event.preventDefault();
      const next = scope === 'private' ? 'shared' : 'private';
      onChange(next);
      (
        event.currentTarget.querySelector(
          `[data-scope="${next}"]`
        ) as HTMLElement | null
      )?.focus();
    }
  };
  return (
    <div
      className="jp-KFPConnect-tabs"
      role="tablist"
      aria-label={trans.__('Pipeline scope')}
      onKeyDown={onKeyDown}
    >
      {tabs.map(tab => (
        <button
          key={tab.id}
          role="tab"
          type="button"
          data-scope={tab.id}
          aria-selected={scope === tab.id}
          aria-controls={LIST_ID}
          tabIndex={scope === tab.id ? 0 : -1}
          className={`jp-KFPConnect-tab${scope === tab.id ? ' jp-mod-active' : ''}`}
          onClick={() => onChange(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}

/** The list the scope tabs control. */
const LIST_ID = 'jp-KFPConnect-pipeline-list';

/** Search, sort, refresh, upload, and the list itself with more pages as you scroll. */
export function PipelineList(props: {
  model: PipelineListModel;
  trans: TranslationBundle;
  /** Shown in the empty state ("No pipelines in ..."). */
  where: string;
  onOpen: (pipeline: IPipeline) => void;
  onUpload: () => void;
}): JSX.Element {
  const { model, trans, where, onOpen, onUpload } = props;
  useSignal(model.changed);
  const scroller = React.useRef<HTMLDivElement>(null);
  // How many rows the DOM holds: set after each commit. The model runs ahead of the screen
  // (a page arrives, React renders it a moment later); a resize seen in between would
  // measure a list without the new rows and fetch a page nobody scrolled to.
  const rendered = React.useRef(0);
  React.useLayoutEffect(() => {
    rendered.current = model.items.length;
  });

  const maybeLoadMore = React.useCallback(() => {
    const node = scroller.current;
    if (!node || model.loading || !model.hasMore || model.error) {
      return;
    }
    if (rendered.current !== model.items.length) {
      return; // the render on its way checks again once its rows are on screen
    }
    // "The end is in view" is only true of a list laid out on screen: a hidden panel
    // (collapsed sidebar, another tab) has no height, and a list caught mid-layout can be
    // as tall as its content, reaching past the window. Either would fetch page after page.
    const box = node.getBoundingClientRect();
    if (box.height === 0 || box.bottom > window.innerHeight + 1) {
      return;
    }
    if (node.scrollTop + node.clientHeight >= node.scrollHeight - SCROLL_MARGIN) {
      void model.loadMore();
    }
  }, [model]);

  // A short first page may not fill the panel: keep loading until it scrolls.
  React.useEffect(() => {
    maybeLoadMore();
  });
  // ... and check again when the panel is shown or resized.
  React.useEffect(() => {
    const node = scroller.current;
    if (!node || typeof ResizeObserver === 'undefined') {
      return;
    }
    const observer = new ResizeObserver(() => maybeLoadMore());
    observer.observe(node);
    return () => observer.disconnect();
  }, [maybeLoadMore]);

  const sorts = [
    { value: 'created_at desc', label: trans.__('Newest first') },
    { value: 'created_at', label: trans.__('Oldest first') },
    { value: 'display_name', label: trans.__('Name A–Z') },
    { value: 'display_name desc', label: trans.__('Name Z–A') }
  ];

  // One tab stop for the whole list: arrow keys move, Enter opens (a roving tabindex).
  const [active, setActive] = React.useState(0);
  const current = Math.min(active, Math.max(0, model.items.length - 1));
  const onListKey = (event: React.KeyboardEvent<HTMLUListElement>) => {
    const rows = Array.from(
      event.currentTarget.querySelectorAll<HTMLButtonElement>('.jp-KFPConnect-pipeline')
    );
    const at = rows.indexOf(document.activeElement as HTMLButtonElement);
    let next = -1;
    if (event.key === 'ArrowDown') {
      next = Math.min(rows.length - 1, at + 1);
    } else if (event.key === 'ArrowUp') {
      next = Math.max(0, at - 1);
    } else if (event.key === 'Home') {
      next = 0;
    } else if (event.key === 'End') {
      next = rows.length - 1;
    }
    if (next >= 0 && rows[next]) {
      event.preventDefault();
      setActive(next);
      rows[next].focus();
    }
  };

  // Version counts for the rows on screen only (KFP's list carries none: each costs the
  // server one small KFP call), asked again after a refresh drops the known ones.
  const visible = React.useRef(new Set<string>());
  const observer = React.useRef<IntersectionObserver | null>(null);
  React.useEffect(() => {
    const root = scroller.current;
    if (!root || typeof IntersectionObserver === 'undefined') {
      return;
    }
    const seen = new IntersectionObserver(
      entries => {
        for (const entry of entries) {
          const id = (entry.target as HTMLElement).dataset.pipelineId ?? '';
          if (entry.isIntersecting) {
            visible.current.add(id);
          } else {
            visible.current.delete(id);
          }
        }
        model.requestCounts([...visible.current]);
      },
      { root, rootMargin: '120px 0px' }
    );
    observer.current = seen;
    root
      .querySelectorAll<HTMLElement>('.jp-KFPConnect-pipeline')
      .forEach(row => seen.observe(row));
    return () => {
      seen.disconnect();
      observer.current = null;
      visible.current.clear();
    };
  }, [model]);
  React.useEffect(() => {
    const seen = observer.current;
    const root = scroller.current;
    if (seen && root) {
      // New rows (another page, a refresh) are observed; known ones again are no-ops.
      root
        .querySelectorAll<HTMLElement>('.jp-KFPConnect-pipeline')
        .forEach(row => seen.observe(row));
      // Rows gone (another namespace, a search) are not asked for.
      const listed = new Set(model.items.map(p => p.id));
      visible.current.forEach(id => listed.has(id) || visible.current.delete(id));
      model.requestCounts([...visible.current]);
    }
  });

  const count =
    model.totalSize !== null
      ? trans.__('%1 of %2', model.items.length, model.totalSize)
      : trans._n('%1 pipeline', '%1 pipelines', model.items.length);

  return (
    <div className="jp-KFPConnect-list" id={LIST_ID}>
      <div className="jp-KFPConnect-listTools">
        <InputGroup
          type="search"
          className="jp-KFPConnect-search"
          aria-label={trans.__('Search pipelines by name')}
          placeholder={trans.__('Search by name')}
          value={model.search}
          onChange={e => model.setSearch(e.target.value)}
          rightIcon="ui-components:search"
        />
        <div className="jp-KFPConnect-listBar">
          <HTMLSelect
            className="jp-KFPConnect-sort"
            aria-label={trans.__('Sort pipelines')}
            value={model.sortBy}
            onChange={e => void model.setSort(e.target.value)}
            options={sorts}
          />
          <ToolbarButtonComponent
            icon={refreshIcon}
            tooltip={trans.__('Refresh the list')}
            className="jp-KFPConnect-refresh"
            onClick={() => void model.refresh()}
            enabled={!model.loading}
          />
          <ToolbarButtonComponent
            icon={fileUploadIcon}
            tooltip={trans.__('Upload a pipeline package')}
            className="jp-KFPConnect-upload"
            onClick={onUpload}
          />
        </div>
      </div>
      <div
        className="jp-KFPConnect-listScroll"
        ref={scroller}
        onScroll={maybeLoadMore}
      >
        {model.error ? (
          <div className="jp-KFPConnect-listState">
            <ProblemView problem={model.error} trans={trans} />
            <Button
              small
              className="jp-mod-styled"
              onClick={() => void model.retry()}
            >
              {trans.__('Retry')}
            </Button>
          </div>
        ) : null}
        {!model.error && model.loaded && model.items.length === 0 && (
          <div className="jp-KFPConnect-listState jp-KFPConnect-empty">
            {model.search.trim()
              ? trans.__('No pipeline matches “%1”.', model.search.trim())
              : trans.__('No pipelines in %1 yet.', where)}
          </div>
        )}
        {model.items.length > 0 && (
          <ul
            className="jp-KFPConnect-pipelines"
            aria-label={trans.__('Pipelines')}
            aria-busy={model.refreshing}
            onKeyDown={onListKey}
          >
            {model.items.map((pipeline, i) => {
              const name = pipeline.display_name || pipeline.name || pipeline.id;
              const versions = model.versionCount(pipeline.id);
              return (
                <li key={pipeline.id}>
                  <button
                    type="button"
                    className="jp-KFPConnect-pipeline"
                    data-pipeline-id={pipeline.id}
                    tabIndex={i === current ? 0 : -1}
                    onFocus={() => setActive(i)}
                    onClick={() => onOpen(pipeline)}
                    title={
                      pipeline.description
                        ? `${name}\n${pipeline.description}`
                        : name
                    }
                  >
                    <span className="jp-KFPConnect-pipelineName">{name}</span>
                    <span className="jp-KFPConnect-pipelineMeta">
                      {formatTime(pipeline.created_at)}
                      {typeof versions === 'number' && (
                        <span className="jp-KFPConnect-versionCount">
                          {' · '}
                          {trans._n('%1 version', '%1 versions', versions)}
                        </span>
                      )}
                    </span>
                    {pipeline.description && (
                      <span className="jp-KFPConnect-pipelineDesc">
                        {pipeline.description}
                      </span>
                    )}
                  </button>
                </li>
              );
            })}
          </ul>
        )}
        {model.refreshing && (
          <div
            className="jp-KFPConnect-progress"
            role="progressbar"
            aria-label={trans.__('Refreshing the list')}
          />
        )}
        {model.loading && !model.refreshing && (
          <div className="jp-KFPConnect-listState" aria-live="polite">
            {trans.__('Loading…')}
          </div>
        )}
      </div>
      {model.loaded && (
        <div className="jp-KFPConnect-listFooter" aria-live="polite">
          {count}
        </div>
      )}
    </div>
  );
}
