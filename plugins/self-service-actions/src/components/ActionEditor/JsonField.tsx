import { memo, useMemo } from 'react';
import CodeMirror, { EditorView } from '@uiw/react-codemirror';
import { json } from '@codemirror/lang-json';
import FormControl from '@material-ui/core/FormControl';
import FormHelperText from '@material-ui/core/FormHelperText';
import FormLabel from '@material-ui/core/FormLabel';
import { makeStyles, useTheme } from '@material-ui/core/styles';

const useStyles = makeStyles(theme => ({
  editor: {
    border: `1px solid ${theme.palette.divider}`,
    borderRadius: theme.shape.borderRadius,
    marginTop: theme.spacing(1),
    overflow: 'hidden',
    fontSize: 13,
  },
  invalid: {
    borderColor: theme.palette.error.main,
  },
}));

/** Props of {@link JsonField}. */
export interface JsonFieldProps {
  label: string;
  value: string;
  onChange?(value: string): void;
  /** The problem to show under it (a parse error, or the server's field error). */
  error?: string;
  helperText?: string;
  minHeight?: string;
}

/**
 * A JSON editor (CodeMirror 6, as Backstage's template editor uses), labelled for assistive
 * technology; read-only without `onChange`.
 */
export const JsonField = memo(function JsonFieldView(props: JsonFieldProps) {
  const { label, value, onChange, error, helperText, minHeight = '120px' } = props;
  const classes = useStyles();
  const theme = useTheme();
  const extensions = useMemo(
    () => [json(), EditorView.lineWrapping, EditorView.contentAttributes.of({ 'aria-label': label })],
    [label],
  );
  return (
    <FormControl fullWidth error={Boolean(error)} margin="normal">
      <FormLabel>{label}</FormLabel>
      <div className={`${classes.editor} ${error ? classes.invalid : ''}`}>
        <CodeMirror
          value={value}
          minHeight={minHeight}
          maxHeight="480px"
          theme={theme.palette.type === 'dark' ? 'dark' : 'light'}
          extensions={extensions}
          readOnly={!onChange}
          editable={Boolean(onChange)}
          basicSetup={{ foldGutter: false, autocompletion: false, highlightActiveLine: Boolean(onChange) }}
          onChange={onChange}
        />
      </div>
      {error || helperText ? <FormHelperText>{error ?? helperText}</FormHelperText> : null}
    </FormControl>
  );
});
