import { nullTranslator } from '@jupyterlab/translation';

import { deletePipelineText, deleteVersionText } from '../confirmations';
import { paramType } from '../components/PipelineDetail';

const trans = nullTranslator.load('jupyter_kfp_connect');

describe('delete confirmations say what is left', () => {
  it('never says "all its 0 versions"', () => {
    expect(deletePipelineText(trans, 'p', 0)).toBe(
      'Delete “p”? It has no versions. This cannot be undone.'
    );
    expect(deletePipelineText(trans, 'p', 1)).toContain('its only version');
    expect(deletePipelineText(trans, 'p', 3)).toContain('all its 3 versions');
  });

  it('deleting the last version says what remains and what to do', () => {
    const text = deleteVersionText(trans, 'p', 'v1', 1);
    expect(text).toContain('“v1” is the only version of “p”');
    expect(text).toContain('upload a new version');
    expect(text).toContain('Delete pipeline');
    expect(deleteVersionText(trans, 'p', 'v1', 2)).toContain('1 other version remains');
    expect(deleteVersionText(trans, 'p', 'v1', 4)).toContain('3 other versions remain');
  });
});

describe('parameter types', () => {
  it('reads as the SDK names them, never the raw enum', () => {
    expect(paramType('NUMBER_INTEGER')).toBe('int');
    expect(paramType('PARAMETER_TYPE_NUMBER_DOUBLE')).toBe('float');
    expect(paramType('STRING')).toBe('str');
    expect(paramType('BOOLEAN')).toBe('bool');
    expect(paramType('STRUCT')).toBe('dict');
  });
});
