import { Chunk } from '@codemirror/merge';
import { Text } from '@codemirror/state';
import { ISignal, Signal } from '@lumino/signaling';

import { KFPService, toProblem } from '../api';
import { IPipelineVersion, IProblem } from '../tokens';

/** One side of a comparison: which version, and its package's YAML once loaded. */
export interface ICompareSide {
  versionId: string;
  yaml: string | null;
}

/**
 * Two versions of one pipeline, side by side: the YAML of each comes from the server's
 * package endpoint (what "Download package (YAML)" saves), never from a second path.
 * A version is immutable in KFP, so each package is fetched once per model.
 * No React here; the view re-renders on `changed`.
 */
export class CompareModel {
  constructor(
    readonly service: KFPService,
    readonly pipelineId: string,
    left: string,
    right: string,
    private readonly onError: (error: unknown) => IProblem = toProblem
  ) {
    this._left = left;
    this._right = right;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The older side (shown on the left, "a" in the merge view). */
  get left(): ICompareSide {
    return { versionId: this._left, yaml: this._texts.get(this._left) ?? null };
  }

  /** The newer side (shown on the right, "b"). */
  get right(): ICompareSide {
    return { versionId: this._right, yaml: this._texts.get(this._right) ?? null };
  }

  get loading(): boolean {
    return this._loading;
  }

  get problem(): IProblem | null {
    return this._problem;
  }

  /** Both texts are here: the diff can be drawn. */
  get ready(): boolean {
    return this.left.yaml !== null && this.right.yaml !== null;
  }

  /** Compare these two instead (either may stay the same); loads what is missing. */
  async setVersions(left: string, right: string): Promise<void> {
    if (left === this._left && right === this._right && this.ready) {
      return;
    }
    this._left = left;
    this._right = right;
    this._changed.emit();
    await this.load();
  }

  /** Exchange the sides (which one counts as "before"). */
  swap(): void {
    [this._left, this._right] = [this._right, this._left];
    this._changed.emit();
  }

  /** Fetch the packages not fetched yet, both at once. */
  async load(): Promise<void> {
    const wanted = [this._left, this._right].filter(
      (id, i, all) => id && !this._texts.has(id) && all.indexOf(id) === i
    );
    const generation = ++this._generation;
    this._problem = null;
    if (wanted.length === 0) {
      this._changed.emit();
      return;
    }
    this._loading = true;
    this._changed.emit();
    try {
      const packages = await Promise.all(
        wanted.map(id => this.service.versionPackage(this.pipelineId, id))
      );
      wanted.forEach((id, i) => this._texts.set(id, packages[i].yaml));
    } catch (error) {
      if (generation === this._generation) {
        this._problem = this.onError(error);
      }
    } finally {
      if (generation === this._generation) {
        this._loading = false;
        this._changed.emit();
      }
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _left: string;
  private _right: string;
  private _texts = new Map<string, string>();
  private _loading = false;
  private _problem: IProblem | null = null;
  private _generation = 0;
  private _changed = new Signal<this, void>(this);
}

/**
 * The default pair for a version: it and the one uploaded just before it (versions newest
 * first, as the views hold them); for the oldest, it and the one after. Null with fewer
 * than two versions (nothing to compare).
 */
export function defaultPair(
  versions: readonly IPipelineVersion[],
  versionId: string
): { left: string; right: string } | null {
  if (versions.length < 2) {
    return null;
  }
  const at = Math.max(
    0,
    versions.findIndex(v => v.id === versionId)
  );
  const current = versions[at];
  if (at + 1 < versions.length) {
    return { left: versions[at + 1].id, right: current.id };
  }
  return { left: current.id, right: versions[at - 1].id };
}

/** Lines added and removed between two texts, from the merge view's chunks. */
export interface ILineChanges {
  added: number;
  removed: number;
  chunks: number;
}

/**
 * What the merge view will highlight, counted: its chunks (`Chunk.build`, the same diff)
 * and the lines each side holds in them (a changed line counts once on each side).
 */
export function lineChanges(before: string, after: string): ILineChanges {
  const a = Text.of(before.split('\n'));
  const b = Text.of(after.split('\n'));
  const chunks = Chunk.build(a, b);
  let added = 0;
  let removed = 0;
  for (const chunk of chunks) {
    removed += linesIn(a, chunk.fromA, chunk.toA, chunk.endA);
    added += linesIn(b, chunk.fromB, chunk.toB, chunk.endB);
  }
  return { added, removed, chunks: chunks.length };
}

function linesIn(doc: Text, from: number, to: number, end: number): number {
  return to > from ? doc.lineAt(end).number - doc.lineAt(from).number + 1 : 0;
}
