/** Runs after Jest's globals exist. The CI machine is small and shared: give async UI assertions room. */
import { configure } from '@testing-library/react-native';

configure({ asyncUtilTimeout: 5000 });
