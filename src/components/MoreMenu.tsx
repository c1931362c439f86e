import { ellipsesIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

export interface IMoreItem {
  id: string;
  label: string;
  danger?: boolean;
  onSelect: () => void;
}

/**
 * A small overflow menu ("⋯") for the rarer and the destructive actions, so they are not
 * beside the everyday buttons. Arrow keys move, Enter chooses, Escape closes.
 */
export function MoreMenu(props: { label: string; items: IMoreItem[] }): JSX.Element {
  const [open, setOpen] = React.useState(false);
  const menu = React.useRef<HTMLUListElement>(null);
  const button = React.useRef<HTMLButtonElement>(null);

  React.useEffect(() => {
    if (!open) {
      return;
    }
    menu.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
    const away = (event: MouseEvent) => {
      const root = menu.current?.parentElement;
      if (root && !root.contains(event.target as Node)) {
        setOpen(false);
      }
    };
    document.addEventListener('mousedown', away);
    return () => document.removeEventListener('mousedown', away);
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const onKey = (event: React.KeyboardEvent) => {
    const items = Array.from(
      menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []
    );
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      items[(at + step + items.length) % items.length]?.focus();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === 'Tab') {
      setOpen(false);
    }
  };

  return (
    <span className="jp-KFPConnect-more">
      <button
        type="button"
        ref={button}
        className="jp-Button jp-mod-minimal jp-mod-small jp-KFPConnect-iconButton jp-KFPConnect-moreButton"
        aria-label={props.label}
        title={props.label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        <ellipsesIcon.react tag="span" />
      </button>
      {open && (
        <ul
          className="jp-KFPConnect-moreMenu"
          role="menu"
          aria-label={props.label}
          ref={menu}
          onKeyDown={onKey}
        >
          {props.items.map(item => (
            <li
              key={item.id}
              role="menuitem"
              tabIndex={-1}
              data-action={item.id}
              className={item.danger ? 'jp-KFPConnect-danger' : undefined}
              onClick={() => {
                setOpen(false);
                item.onSelect();
              }}
              onKeyDown={e => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  setOpen(false);
                  item.onSelect();
                }
              }}
            >
              {item.label}
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
