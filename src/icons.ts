import { LabIcon } from '@jupyterlab/ui-components';

import kfpSvg from '../style/icons/kfp.svg';

/** The Kubeflow Pipelines icon: sidebar tab, palette and settings. */
export const kfpIcon = new LabIcon({
  name: 'jupyter-kfp-connect:kfp',
  svgstr: kfpSvg
});
