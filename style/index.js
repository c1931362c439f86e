import './base.css';
import './runs.css';
import './compare.css';
