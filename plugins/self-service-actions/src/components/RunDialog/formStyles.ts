import { makeStyles } from '@material-ui/core/styles';

/**
 * The run form's error texts in a red that reads: RJSF's MUI theme uses the main error colour,
 * 3.7:1 on white (WCAG asks 4.5:1 for 12px text); the dark shade is 5:1 (light in dark mode).
 */
export const useRunFormStyles = makeStyles(theme => {
  const readableError = theme.palette.type === 'dark' ? theme.palette.error.light : theme.palette.error.dark;
  return {
    // By class prefix: Backstage's class name generator numbers MUI's own classes too
    // (MuiFormHelperText-root-123); the state classes (Mui-error) stay as they are.
    form: {
      '& [class*="MuiFormHelperText-root"].Mui-error, & [class*="MuiFormLabel-root"].Mui-error, & [class*="MuiTypography-colorError"]': {
        color: readableError,
      },
    },
  };
});
